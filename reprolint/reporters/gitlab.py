"""``--output-format gitlab``: a GitLab Code Quality report (a JSON list; the CI job names it in
``artifacts: reports: codequality``), so merge requests show the findings.

Each entry: ``check_name`` (the code), ``description`` (``CODE: message``), ``severity``
(``major``; ``critical`` for a file that could not be read or parsed), ``fingerprint`` (stable
when lines move, see ``reprolint.reporters.fingerprint``) and ``location`` ``{path, positions:
{begin, end}}``, the path relative to the working folder (GitLab wants it relative to the
repository) and positions in the file as text (a notebook's JSON; its cell is named in the
description).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from reprolint.reporters.fingerprint import fingerprints


def _path(path: str) -> str:
    """Relative to the working folder when the file lies inside it."""
    if os.path.isabs(path):
        try:
            relative = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            return Path(path).as_posix()
        if not relative.startswith(os.pardir):
            return Path(relative).as_posix()
        return Path(path).as_posix()
    return Path(os.path.normpath(path)).as_posix()


def _positions(start_line, start_column, end_line, end_column) -> dict:
    return {"begin": {"line": start_line, "column": start_column},
            "end": {"line": max(end_line, start_line), "column": max(end_column, 1)}}


def _finding(finding, fingerprint: str) -> dict:
    region = finding.extra.get("file_region")
    positions = (_positions(*region) if region else
                 _positions(finding.start.line, finding.start.column, finding.end.line, finding.end.column))
    cell = finding.extra.get("cell")
    where = f"cell {cell}, line {finding.start.line}: " if cell is not None else ""
    return {
        "check_name": finding.code,
        "description": f"{finding.code}: {where}{finding.message}",
        "severity": "major",
        "fingerprint": fingerprint,
        "location": {"path": _path(finding.path), "positions": positions},
    }


def _error(error) -> dict:
    line, column = error.file_position or (error.line, error.column)
    digest = hashlib.sha256("\0".join([Path(error.path).as_posix(), "error", error.message]).encode("utf-8"))
    return {
        "check_name": "error",
        "description": f"error: {error.message}",
        "severity": "critical",
        "fingerprint": digest.hexdigest()[:16],
        "location": {"path": _path(error.path), "positions": _positions(line, column, line, column)},
    }


def render(run, options=None) -> str:
    prints = fingerprints(run.findings)
    entries = []
    for report in run.files:
        entries.extend(_error(error) for error in report.errors)
        entries.extend(_finding(finding, prints[id(finding)]) for finding in report.findings)
    return json.dumps(entries, indent=2) + "\n"
