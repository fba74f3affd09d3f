"""``--output-format sarif``: SARIF 2.1.0, as GitHub code scanning uploads it.

One ``reportingDescriptor`` per rule (every rule, so ``ruleIndex`` is stable), one ``result`` per
finding, and file errors as ``toolExecutionNotifications`` of the invocation. URIs are relative to
``%SRCROOT%`` (the working folder) when the file lies inside it. A region is always a position in
the file as text: for a notebook, the line and column of its JSON, with the cell, and the line
and column within it, as properties. ``partialFingerprints`` carries a fingerprint that stays put
when lines move (``reprolint.reporters.fingerprint``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from reprolint import __version__
from reprolint.docs import DOCS_URL, fix_label
from reprolint.findings import Position
from reprolint.reporters.fingerprint import fingerprints
from reprolint.rules import ALL_RULES

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/reprolint/reprolint"


def _uri(path: str) -> dict:
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": Path(path).as_posix(), "uriBaseId": "%SRCROOT%"}


def _what_it_does(documentation: str) -> tuple:
    """The "What it does" section of a rule page, as (plain text, Markdown). SARIF's ``text`` is
    plain: no headings, paragraphs unwrapped, inline code without its backticks."""
    section = documentation.split("## What it does", 1)[-1].split("\n## ", 1)[0].strip()
    paragraphs = [" ".join(line.strip() for line in block.splitlines()) for block in section.split("\n\n")]
    plain = "\n\n".join(paragraph.replace("`", "") for paragraph in paragraphs if paragraph)
    return plain, section


def _descriptor(rule) -> dict:
    plain, markdown = _what_it_does(rule.documentation())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": plain, "markdown": markdown},
        "help": {"text": rule.summary, "markdown": rule.documentation()},
        "helpUri": DOCS_URL.format(code=rule.code),
        "defaultConfiguration": {"enabled": bool(rule.default), "level": "warning"},
        "properties": {"fix": fix_label(rule), "tags": ["reproducibility"]},
    }


def _region(start, end) -> dict:
    return {"startLine": start.line, "startColumn": start.column,
            "endLine": max(end.line, start.line), "endColumn": max(end.column, 1)}


def _file_region(finding) -> dict:
    """The region in the file as text: for a notebook, in its JSON (the cell's own line and
    column go to ``properties``), else the finding's position."""
    region = finding.extra.get("file_region")
    if region is None:
        return _region(finding.start, finding.end)
    start_line, start_column, end_line, end_column = region
    return _region(Position(start_line, start_column), Position(end_line, end_column))


# The partialFingerprints key: GitHub code scanning matches an alert across commits (and keeps its
# dismissal) by these, so a finding keeps its alert when lines above it move.
FINGERPRINT_KEY = "reprolint/v1"


def _result(finding, rule_index: dict, fingerprint: str) -> dict:
    location = {"physicalLocation": {"artifactLocation": _uri(finding.path),
                                     "region": _file_region(finding)}}
    result = {
        "ruleId": finding.code,
        "level": "warning",
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    properties = {}
    cell = finding.extra.get("cell")
    if cell is not None:
        # A notebook's lines are counted within the cell: name the cell as a logical location.
        location["logicalLocations"] = [{"name": f"cell {cell}", "kind": "notebookCell"}]
        properties.update(cell=cell, cellLine=finding.start.line, cellColumn=finding.start.column)
    if finding.fix is not None:
        properties["fix"] = {"applicability": getattr(finding.fix.applicability, "value", finding.fix.applicability),
                             "message": finding.fix.message}
    if "verification" in finding.extra:
        properties["verification"] = finding.extra["verification"]
    if properties:
        result["properties"] = properties
    return result


def _notification(error) -> dict:
    line, column = error.file_position or (error.line, error.column)
    notification = {
        "level": "error",
        "message": {"text": error.message},
        "locations": [{"physicalLocation": {"artifactLocation": _uri(error.path),
                                            "region": {"startLine": max(line, 1), "startColumn": max(column, 1)}}}],
    }
    if error.cell is not None:
        notification["properties"] = {"cell": error.cell, "cellLine": error.line, "cellColumn": error.column}
    return notification


def render(run, options=None) -> str:
    rule_index = {rule.code: index for index, rule in enumerate(ALL_RULES)}
    prints = fingerprints(run.findings)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "reprolint",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in ALL_RULES],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri() + "/"}},
            "invocations": [{
                "executionSuccessful": not run.errors,
                "toolExecutionNotifications": [_notification(error) for error in run.errors],
            }],
            "results": [_result(finding, rule_index, prints[id(finding)]) for finding in run.findings],
        }],
    }
    return json.dumps(log, indent=2, default=str) + "\n"
