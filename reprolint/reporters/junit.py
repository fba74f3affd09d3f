"""``--output-format junit``: JUnit XML, one ``<testsuite>`` per file checked, one failing
``<testcase>`` per finding and one ``<error>`` per file error; a clean file is one passing case.

Test-case names are unique within a file (CI dashboards key a case by its name): the code, the
rule name and where, ``RPL101 pipeline-call-without-generator (line 12, column 9)``; a notebook's
names its cell; a repeat at the same place gets `` #2``."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from reprolint.findings import printable
from reprolint.reporters.text import location


def _xml_safe(element) -> None:
    """Names and messages as XML 1.0 can hold them (no control characters, no undecodable
    bytes of a file name): escaped the way the text formats escape them."""
    for node in element.iter():
        node.attrib.update({key: printable(value) for key, value in node.attrib.items()})
        if node.text:
            node.text = printable(node.text)
def _where(finding) -> str:
    cell = finding.extra.get("cell")
    place = f"line {finding.start.line}, column {finding.start.column}"
    return f"cell {cell}, {place}" if cell is not None else place


def _unique(name: str, seen: dict) -> str:
    seen[name] = seen.get(name, 0) + 1
    return name if seen[name] == 1 else f"{name} #{seen[name]}"


def render(run, options=None) -> str:
    findings, errors = run.findings, run.errors
    suites = ElementTree.Element("testsuites", {
        "name": "reprolint", "tests": "0", "failures": str(len(findings)), "errors": str(len(errors)),
    })
    total = 0
    for report in run.files:
        cases = max(len(report.findings) + len(report.errors), 1)
        total += cases
        suite = ElementTree.SubElement(suites, "testsuite", {
            "name": report.path, "tests": str(cases), "failures": str(len(report.findings)),
            "errors": str(len(report.errors)),
        })
        seen: dict = {}
        for error in report.errors:
            cell = f"cell {error.cell}, " if error.cell is not None else ""
            name = _unique(f"error ({cell}line {error.line}, column {error.column})", seen)
            case = ElementTree.SubElement(suite, "testcase", {"name": name, "classname": report.path})
            failure = ElementTree.SubElement(case, "error", {"message": error.message})
            failure.text = error.render()
        for finding in report.findings:
            case = ElementTree.SubElement(suite, "testcase", {
                "name": _unique(f"{finding.code} {finding.name} ({_where(finding)})", seen), "classname": report.path,
                "file": finding.path, "line": str(finding.start.line),
            })
            failure = ElementTree.SubElement(case, "failure", {"message": finding.message, "type": finding.code})
            failure.text = f"{location(finding)}: {finding.code} {finding.message}"
        if not report.findings and not report.errors:
            ElementTree.SubElement(suite, "testcase", {"name": "reprolint", "classname": report.path})
    suites.set("tests", str(total))
    _xml_safe(suites)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
