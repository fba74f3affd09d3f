"""``--output-format json``: a JSON list with one object per finding (and per file error).

Each finding object: ``code``, ``name``, ``message``, ``filename``, ``location`` ``{row, column}``,
``end_location``, ``fix`` (null or ``{applicability, message, edits}``), ``url`` (the rule's
documentation), ``cell`` (notebooks only) and ``verification`` (``--verify`` only).
A file that could not be read or parsed is an object with ``code`` null and ``name`` "error".
"""

from __future__ import annotations

import json

from reprolint.docs import DOCS_URL


def _position(position) -> dict:
    return {"row": position.line, "column": position.column}


def _edit(edit) -> dict:
    """One text edit, from a dict or an object with ``content`` and ``start``/``end`` (or
    ``location``/``end_location``) positions."""
    if isinstance(edit, dict):
        return edit
    start = getattr(edit, "start", None) or getattr(edit, "location", None)
    end = getattr(edit, "end", None) or getattr(edit, "end_location", None)
    return {
        "content": getattr(edit, "content", ""),
        "location": _position(start) if start is not None else None,
        "end_location": _position(end) if end is not None else None,
    }


def fix_object(fix):
    """``null``, or the fix's applicability, message and text edits. A fix built as a libcst
    transformation has its edits computed only when it is applied (``--fix``/``--diff``), so
    ``edits`` lists only the edits the fix carries as text."""
    if fix is None:
        return None
    applicability = getattr(fix.applicability, "value", fix.applicability)
    return {
        "applicability": applicability,
        "message": fix.message,
        "edits": [_edit(edit) for edit in (getattr(fix, "edits", None) or ())],
    }


def finding_object(finding) -> dict:
    entry = {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "filename": finding.path,
        "location": _position(finding.start),
        "end_location": _position(finding.end),
        "fix": fix_object(finding.fix),
        "url": DOCS_URL.format(code=finding.code),
    }
    if "cell" in finding.extra:
        entry["cell"] = finding.extra["cell"]
    if "verification" in finding.extra:
        entry["verification"] = finding.extra["verification"]
    return entry


def error_object(error) -> dict:
    entry = {
        "code": None,
        "name": "error",
        "message": error.message,
        "filename": error.path,
        "location": {"row": error.line, "column": error.column},
        "end_location": {"row": error.line, "column": error.column},
        "fix": None,
        "url": None,
    }
    if error.cell is not None:
        entry["cell"] = error.cell
    return entry


def render(run, options=None) -> str:
    entries = []
    for report in run.files:
        entries.extend(error_object(error) for error in report.errors)
        entries.extend(finding_object(finding) for finding in report.findings)
    return json.dumps(entries, indent=2, default=str) + "\n"
