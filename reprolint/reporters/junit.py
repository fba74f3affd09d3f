"""``--output-format junit``: JUnit XML, one ``<testsuite>`` per file checked, one failing
``<testcase>`` per finding and one ``<error>`` per file error; a clean file is one passing case."""

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
        for error in report.errors:
            case = ElementTree.SubElement(suite, "testcase", {"name": "error", "classname": report.path})
            failure = ElementTree.SubElement(case, "error", {"message": error.message})
            failure.text = error.render()
        for finding in report.findings:
            case = ElementTree.SubElement(suite, "testcase", {
                "name": f"{finding.code} {finding.name}", "classname": report.path,
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
