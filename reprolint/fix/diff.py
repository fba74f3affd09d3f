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


_C_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v",
              12: "\\f", 13: "\\r"}


def header_name(name: str) -> str:
    """``name`` as a ``---``/``+++`` line must give it for GNU patch to read it back whole, as GNU
    diff and git write it: a name with a space is ended by a tab (patch otherwise stops at the
    space); one with a quote, a backslash, a control character or a byte that is not UTF-8 is
    C-quoted, ``"caf\\351 \\"x\\".py"``, which patch and ``git apply`` decode."""
    data = name.encode("utf-8", "surrogateescape")
    needs_quotes = any(byte < 0x20 or byte == 0x7F or byte in b'"\\' for byte in data) or name != data.decode(
        "utf-8", "replace")
    if needs_quotes:
        parts = []
        for byte in data:
            if byte in _C_ESCAPES:
                parts.append(_C_ESCAPES[byte])
            elif 0x20 <= byte < 0x7F:
                parts.append(chr(byte))
            else:
                parts.append(f"\\{byte:03o}")
        return '"' + "".join(parts) + '"'
    return name + "\t" if " " in name else name


def unified_diff(original: str, fixed: str, path: str) -> str:
    r"""The diff from ``original`` to ``fixed``; empty when they are equal.

    Line endings are kept as they are (a CRLF file diffs as CRLF lines), and a last line without
    a newline gets the ``\ No newline at end of file`` marker, so the diff applies exactly.
    """
    if original == fixed:
        return ""
    name = header_name(display_path(path))
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
