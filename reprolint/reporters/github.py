"""``--output-format github``: GitHub Actions workflow commands, which annotate the pull request.

    ::warning file=train.py,line=12,col=9,endLine=12,endColumn=21,title=RPL101::message
"""

from __future__ import annotations


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, properties: dict, message: str) -> str:
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {props}::{_escape_data(message)}"


def render(run, options=None) -> str:
    lines = []
    for report in run.files:
        for error in report.errors:
            where = f"cell {error.cell}, " if error.cell is not None else ""
            lines.append(_command("error", {"file": error.path, "line": error.line, "col": error.column,
                                            "title": "reprolint error"}, f"{where}{error.message}"))
        for finding in report.findings:
            cell = finding.extra.get("cell")
            # Annotation lines of a notebook would point into its JSON; name the cell instead.
            message = f"cell {cell}, line {finding.start.line}: {finding.message}" if cell else finding.message
            lines.append(_command("warning", {
                "file": finding.path, "line": finding.start.line, "col": finding.start.column,
                "endLine": finding.end.line, "endColumn": finding.end.column, "title": finding.code,
            }, message))
    return "".join(line + "\n" for line in lines)
