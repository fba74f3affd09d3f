"""``--output-format rdjson``: reviewdog's Diagnostic Format (``reviewdog -f=rdjson``), so that
reviewdog comments the findings on a pull request.

``{source: {name, url}, severity: "WARNING", diagnostics: [...]}``; each diagnostic has
``message``, ``location`` ``{path, range: {start, end}}`` (1-based lines and columns, in the
file as text: a notebook's JSON, its cell named in the message), ``severity``, ``code`` ``{value,
url}`` and, when the finding's fix is known as text edits, ``suggestions`` ``[{range, text}]``.
A file that could not be read or parsed is an ``ERROR`` diagnostic with no code.
"""

from __future__ import annotations

import json

from reprolint.docs import DOCS_URL
from reprolint.reporters.sarif import INFORMATION_URI

SUGGESTIONS = "rdjson_suggestions"  # Finding.extra key: [{range, text}] computed by the command line


def _range(start_line, start_column, end_line, end_column) -> dict:
    return {"start": {"line": start_line, "column": start_column},
            "end": {"line": max(end_line, start_line), "column": max(end_column, 1)}}


def _diagnostic(finding) -> dict:
    region = finding.extra.get("file_region")
    where = _range(*region) if region else _range(finding.start.line, finding.start.column,
                                                   finding.end.line, finding.end.column)
    cell = finding.extra.get("cell")
    prefix = f"cell {cell}, line {finding.start.line}: " if cell is not None else ""
    diagnostic = {
        "message": prefix + finding.message,
        "location": {"path": finding.path, "range": where},
        "severity": "WARNING",
        "code": {"value": finding.code, "url": DOCS_URL.format(code=finding.code)},
    }
    if finding.extra.get(SUGGESTIONS):
        diagnostic["suggestions"] = finding.extra[SUGGESTIONS]
    return diagnostic


def _error(error) -> dict:
    line, column = error.file_position or (error.line, error.column)
    return {"message": error.message, "location": {"path": error.path, "range": _range(line, column, line, column)},
            "severity": "ERROR"}


def render(run, options=None) -> str:
    diagnostics = []
    for report in run.files:
        diagnostics.extend(_error(error) for error in report.errors)
        diagnostics.extend(_diagnostic(finding) for finding in report.findings)
    result = {"source": {"name": "reprolint", "url": INFORMATION_URI}, "severity": "WARNING",
              "diagnostics": diagnostics}
    return json.dumps(result, indent=2) + "\n"
