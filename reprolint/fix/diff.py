"""Unified diffs of fixes, in the form ``patch -p0`` and ``git apply -p0`` accept."""

from __future__ import annotations

import difflib
import os
import re

NO_NEWLINE = "\\ No newline at end of file\n"


def display_path(path: str) -> str:
    """The path relative to the current folder when it lies below it (what ``-p0`` expects)."""
    if os.path.isabs(path):
        relative = os.path.relpath(path)
        if not relative.startswith(".."):
            return relative
    return path


def unified_diff(original: str, fixed: str, path: str) -> str:
    r"""The diff from ``original`` to ``fixed``; empty when they are equal.

    Line endings are kept as they are (a CRLF file diffs as CRLF lines), and a last line without
    a newline gets the ``\ No newline at end of file`` marker, so the diff applies exactly.
    """
    if original == fixed:
        return ""
    name = display_path(path)
    lines = difflib.unified_diff(_lines(original), _lines(fixed), fromfile=name, tofile=name)
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)


def _lines(text: str) -> list:
    r"""Lines split at ``\n`` only: ``str.splitlines`` would also split at form feeds and other
    characters that Python source may contain inside a line."""
    return [line for line in re.split(r"(?<=\n)", text) if line]
