"""The formats CI services read (issue 25): GitLab Code Quality, reviewdog's rdjson, pylint's
parseable lines, and SARIF's partialFingerprints. Checked by parsing what the command prints.

/work/shared/schemas holds only SARIF's schema, so the GitLab and rdjson checks below are schemas
written here from the services' documentation: the fields each service requires, with their types.
"""

from __future__ import annotations

import json
import pathlib
import re

import jsonschema
import pytest

from tests.conftest import BAD_PIPELINE, invoke

SARIF_SCHEMA = json.loads((pathlib.Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

# GitLab Code Quality (docs.gitlab.com, "Code Quality report format"): a list of issues, each with
# description, check_name, fingerprint, severity (one of five) and location.path with either
# lines.begin or positions.begin.line.
_GITLAB_POSITION = {"type": "object", "required": ["line"],
                    "properties": {"line": {"type": "integer", "minimum": 1},
                                   "column": {"type": "integer", "minimum": 1}}}
GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {"type": "object", "required": ["path", "positions"], "properties": {
                "path": {"type": "string", "not": {"pattern": r"^(/|\./)"}},
                "positions": {"type": "object", "required": ["begin"], "properties": {
                    "begin": _GITLAB_POSITION, "end": _GITLAB_POSITION}},
            }},
        },
    },
}
# reviewdog's Diagnostic Format (proto/rdf): a DiagnosticResult with diagnostics; positions are
# 1-based, ranges end-exclusive; severity is one of reviewdog's names.
_RD_POSITION = {"type": "object", "required": ["line", "column"],
                "properties": {"line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}}}
_RD_RANGE = {"type": "object", "required": ["start"], "properties": {"start": _RD_POSITION, "end": _RD_POSITION}}
RDJSON_SCHEMA = {
    "type": "object",
    "required": ["source", "diagnostics"],
    "properties": {
        "source": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
                                                                         "url": {"type": "string"}}},
        "severity": {"enum": ["UNKNOWN_SEVERITY", "ERROR", "WARNING", "INFO"]},
        "diagnostics": {"type": "array", "items": {
            "type": "object",
            "required": ["message", "location"],
            "properties": {
                "message": {"type": "string"},
                "location": {"type": "object", "required": ["path"], "properties": {
                    "path": {"type": "string"}, "range": _RD_RANGE}},
                "severity": {"enum": ["UNKNOWN_SEVERITY", "ERROR", "WARNING", "INFO"]},
                "code": {"type": "object", "required": ["value"], "properties": {
                    "value": {"type": "string"}, "url": {"type": "string"}}},
                "suggestions": {"type": "array", "items": {"type": "object", "required": ["range", "text"],
                                                           "properties": {"range": _RD_RANGE,
                                                                          "text": {"type": "string"}}}},
            },
        }},
    },
}
NOTEBOOK = json.dumps({"cells": [
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": BAD_PIPELINE.splitlines(keepends=True)[:3]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["x = 1\n", BAD_PIPELINE.splitlines()[3] + "\n"]},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bad.py").write_text(BAD_PIPELINE)
    (tmp_path / "broken.py").write_text("import torch\ng = torch.Generator(\n")
    (tmp_path / "nb.ipynb").write_text(NOTEBOOK)
    return tmp_path


def output(folder, output_format, *paths) -> str:
    result = invoke(*(paths or (".",)), "--no-cache", "--output-format", output_format, cwd=folder)
    assert result.exit_code in (1, 2), result.output
    return result.stdout


def test_pylint_lines(project):
    lines = output(project, "pylint").splitlines()
    assert "bad.py:4: [RPL101] pipeline call without `generator=`" in "\n".join(lines)
    assert any(re.fullmatch(r"broken\.py:2: \[error\] could not parse.*", line) for line in lines)
    (notebook,) = [line for line in lines if line.startswith("nb.ipynb")]
    # The line is the .ipynb file's own (its JSON); the cell and the line within it lead the message.
    line = int(notebook.split(":")[1])
    assert "a photo of a cat" in NOTEBOOK.splitlines()[line - 1]
    assert "[RPL101] cell 2, line 2: pipeline call" in notebook
    assert all(re.fullmatch(r"[^:]+:\d+: \[[\w-]+\] .+", line) for line in lines)


def test_gitlab_code_quality_report(project):
    report = json.loads(output(project, "gitlab"))
    jsonschema.validate(report, GITLAB_SCHEMA)
    by_path = {}
    for issue in report:
        by_path.setdefault(issue["location"]["path"], []).append(issue)
    (finding,) = by_path["bad.py"]
    assert finding["check_name"] == "RPL101" and finding["severity"] == "major"
    assert finding["description"].startswith("RPL101: pipeline call without `generator=`")
    assert finding["location"]["positions"]["begin"] == {"line": 4, "column": 9}
    (error,) = by_path["broken.py"]
    assert error["severity"] == "critical" and error["location"]["positions"]["begin"]["line"] == 2
    (cell,) = by_path["nb.ipynb"]
    assert "a photo of a cat" in NOTEBOOK.splitlines()[cell["location"]["positions"]["begin"]["line"] - 1]
    assert len({issue["fingerprint"] for issue in report}) == len(report)


def test_gitlab_paths_are_relative_to_the_working_folder(project):
    report = json.loads(output(project, "gitlab", str(project / "bad.py")))
    assert [issue["location"]["path"] for issue in report] == ["bad.py"]


def test_rdjson_diagnostics(project):
    result = json.loads(output(project, "rdjson"))
    jsonschema.validate(result, RDJSON_SCHEMA)
    assert result["source"]["name"] == "reprolint"
    diagnostics = {d["location"]["path"]: d for d in result["diagnostics"]}
    bad = diagnostics["bad.py"]
    assert bad["code"]["value"] == "RPL101" and bad["code"]["url"].endswith("RPL101.md")
    assert bad["location"]["range"] == {"start": {"line": 4, "column": 9}, "end": {"line": 4, "column": 33}}
    # End-exclusive, as rdjson ranges are: the flagged text is exactly the call.
    line = BAD_PIPELINE.splitlines()[3]
    assert line[9 - 1:33 - 1] == 'pipe("a photo of a cat")'
    assert diagnostics["broken.py"]["severity"] == "ERROR" and "code" not in diagnostics["broken.py"]
    assert diagnostics["nb.ipynb"]["message"].startswith("cell 2, line 2: ")


@pytest.mark.parametrize("output_format,empty", [("gitlab", []), ("pylint", None), ("rdjson", None)])
def test_new_formats_are_well_formed_when_nothing_is_linted(tmp_path, output_format, empty):
    result = invoke(".", "--output-format", output_format, cwd=tmp_path)
    assert result.exit_code == 0
    if output_format == "gitlab":
        assert json.loads(result.stdout) == []
    elif output_format == "rdjson":
        assert json.loads(result.stdout)["diagnostics"] == []
    else:
        assert result.stdout == ""


# -- fingerprints: stable when lines move, distinct for distinct findings -------------------------
TWO_CALLS = BAD_PIPELINE + 'image = pipe("a photo of a dog").images[0]\n'


def _fingerprints(folder, output_format) -> list:
    text = output(folder, output_format, "bad.py")
    if output_format == "gitlab":
        return [issue["fingerprint"] for issue in json.loads(text)]
    log = json.loads(text)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    return [result["partialFingerprints"]["reprolint/v1"] for result in log["runs"][0]["results"]]


@pytest.mark.parametrize("output_format", ["gitlab", "sarif"])
def test_fingerprints_survive_lines_moving(tmp_path, output_format):
    (tmp_path / "bad.py").write_text(TWO_CALLS)
    before = _fingerprints(tmp_path, output_format)
    assert len(before) == 2 and len(set(before)) == 2  # two findings of one rule, told apart
    (tmp_path / "bad.py").write_text('"""A docstring added above."""\n\n\n' + TWO_CALLS)
    assert _fingerprints(tmp_path, output_format) == before
    (tmp_path / "other.py").write_text(TWO_CALLS)
    other = json.loads(output(tmp_path, "gitlab", "other.py"))
    assert not {issue["fingerprint"] for issue in other} & set(before)  # another file, other prints


def test_a_line_number_in_a_message_does_not_enter_the_fingerprint():
    from reprolint.findings import Finding, Position
    from reprolint.reporters.fingerprint import fingerprints

    def finding(line):
        return Finding("RPL102", "generator-reused", f"generator `g` (created at line {line}) is reused",
                       "a.py", Position(line + 3, 1), Position(line + 3, 5))

    first, moved = finding(5), finding(9)
    assert fingerprints([first])[id(first)] == fingerprints([moved])[id(moved)]


# -- JUnit names and SARIF descriptions ------------------------------------------------------------
def test_junit_test_case_names_are_unique_within_a_file(tmp_path):
    import xml.etree.ElementTree as ElementTree

    (tmp_path / "bad.py").write_text(TWO_CALLS + 'image = pipe("a photo of a dog").images[0]\n')
    root = ElementTree.fromstring(output(tmp_path, "junit", "bad.py"))
    names = [case.get("name") for case in root.iter("testcase")]
    assert len(names) == 3 and len(set(names)) == 3
    assert names[0] == "RPL101 pipeline-call-without-generator (line 4, column 9)"


def test_junit_repeats_at_one_place_are_numbered():
    from reprolint.findings import FileReport, Finding, Position, RunReport
    from reprolint.reporters import render
    import xml.etree.ElementTree as ElementTree

    same = [Finding("RPL101", "pipeline-call-without-generator", "m", "a.py", Position(2, 1), Position(2, 5))
            for _ in range(2)]
    root = ElementTree.fromstring(render(RunReport(files=[FileReport("a.py", findings=same)], checked=1), "junit"))
    assert [case.get("name") for case in root.iter("testcase")] == [
        "RPL101 pipeline-call-without-generator (line 2, column 1)",
        "RPL101 pipeline-call-without-generator (line 2, column 1) #2"]


def test_sarif_full_description_text_is_plain(tmp_path):
    (tmp_path / "bad.py").write_text(BAD_PIPELINE)
    rules = json.loads(output(tmp_path, "sarif", "bad.py"))["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        text = rule["fullDescription"]["text"]
        assert text and "`" not in text, rule["id"]
        assert not any(line.startswith("#") for line in text.splitlines()), rule["id"]
        assert "## " not in rule["fullDescription"]["markdown"]  # the one section, not the page
        assert rule["help"]["markdown"].startswith("## What it does")  # the whole page stays in help


# -- rdjson suggestions: each fix alone, as reviewdog applies it ------------------------------------
def _apply_suggestions(text: str, suggestions: list) -> str:
    lines = text.splitlines(keepends=True)
    for suggestion in sorted(suggestions, key=lambda s: s["range"]["start"]["line"], reverse=True):
        start, end = suggestion["range"]["start"], suggestion["range"]["end"]
        assert start["column"] == 1 and end["column"] == 1  # whole lines
        lines[start["line"] - 1:end["line"] - 1] = [suggestion["text"]]
    return "".join(lines)


def test_rdjson_suggestions_are_the_fix_of_each_finding(tmp_path):
    from reprolint.fix.apply import fix_source
    from reprolint.settings import Settings

    seeded = BAD_PIPELINE.replace('pipe("a photo of a cat")', 'pipe("a photo of a cat", seed=7)')
    (tmp_path / "bad.py").write_text(seeded)
    safe_only = json.loads(output(tmp_path, "rdjson", "bad.py"))
    jsonschema.validate(safe_only, RDJSON_SCHEMA)
    by_code = {d["code"]["value"]: d for d in safe_only["diagnostics"]}
    assert "suggestions" not in by_code["RPL101"]  # unsafe: only with --unsafe-fixes
    fixed = _apply_suggestions(seeded, by_code["RPL103"]["suggestions"])
    assert fixed == fix_source(seeded, "bad.py", Settings(select=("RPL103",)), unsafe=False).source
    assert 'generator=torch.Generator("cpu").manual_seed(7)' in fixed

    result = invoke("bad.py", "--no-cache", "--output-format", "rdjson", "--unsafe-fixes", cwd=tmp_path)
    unsafe = {d["code"]["value"]: d for d in json.loads(result.stdout)["diagnostics"]}
    assert _apply_suggestions(seeded, unsafe["RPL101"]["suggestions"]) == fixed  # the author's seed kept


def test_rdjson_gives_notebooks_no_suggestions(tmp_path):
    (tmp_path / "nb.ipynb").write_text(NOTEBOOK)
    result = invoke("nb.ipynb", "--no-cache", "--output-format", "rdjson", "--unsafe-fixes", cwd=tmp_path)
    assert all("suggestions" not in d for d in json.loads(result.stdout)["diagnostics"])
