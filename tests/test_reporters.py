"""Every output format, checked by parsing what it prints."""

from __future__ import annotations

import json
import pathlib
import re
import xml.etree.ElementTree as ElementTree

import jsonschema
import pytest

from tests.conftest import BAD_PIPELINE, invoke
from reprolint import cli_options
from reprolint.engine import Linter, RunReport
from reprolint.findings import Applicability, FileError, FileReport, Finding, Fix, Position
from reprolint.reporters import ReportOptions, render
from reprolint.rules import ALL_RULES
from reprolint.settings import Settings

SARIF_SCHEMA = json.loads((pathlib.Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
NOTEBOOK = json.dumps({"cells": [
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": BAD_PIPELINE.splitlines(keepends=True)[:3]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["x = 1\n", BAD_PIPELINE.splitlines()[3] + "\n"]},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "bad.py").write_text(BAD_PIPELINE)
    (tmp_path / "clean.py").write_text("import torch\nx = torch.Generator('cpu').manual_seed(0)\n")
    (tmp_path / "broken.py").write_text("import torch\ng = torch.Generator(\n")
    (tmp_path / "nb.ipynb").write_text(NOTEBOOK)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_in(project) -> RunReport:
    return Linter(Settings()).lint_paths(["."])


def output(project, output_format, *extra):
    result = invoke(".", "--output-format", output_format, *extra, cwd=project)
    assert result.exit_code == 2, result.output  # broken.py does not parse
    return result.stdout


def test_full_shows_source_line_and_caret(project):
    text = output(project, "full")
    assert "bad.py:4:9: RPL101 pipeline call without `generator=`" in text
    assert '4 | image = pipe("a photo of a cat").images[0]\n  |         ^^^^^^^^^^^^^^^^^^^^^^^^\n' in text
    assert "nb.ipynb:cell 2:2:9: RPL101" in text
    assert re.search(r"^broken\.py:2:\d+: error: could not parse", text, re.M)
    assert text.rstrip().splitlines()[-1].startswith("Found 2 findings")


def test_concise_is_one_line_per_finding(project):
    lines = output(project, "concise").splitlines()
    finding_lines = [line for line in lines if " RPL" in line and not line.startswith("Found")]
    assert finding_lines == [
        line for line in finding_lines if re.match(r"^\S+:(cell \d+:)?\d+:\d+: RPL\d{3} ", line)]
    assert len(finding_lines) == 2
    quiet = invoke(".", "--output-format", "concise", "--quiet", cwd=project).stdout
    assert "Found" not in quiet and len(quiet.splitlines()) == 3


def test_json_objects(project):
    entries = json.loads(output(project, "json"))
    by_file = {entry["filename"]: entry for entry in entries}
    bad = by_file["bad.py"]
    assert bad == {
        "code": "RPL101", "name": "pipeline-call-without-generator", "message": bad["message"],
        "filename": "bad.py", "location": {"row": 4, "column": 9}, "end_location": {"row": 4, "column": 33},
        "fix": {"applicability": "unsafe", "message": bad["fix"]["message"], "edits": []},
        "url": "https://github.com/reprolint/reprolint/blob/main/docs/rules/RPL101.md",
    }
    assert by_file["nb.ipynb"]["cell"] == 2 and by_file["nb.ipynb"]["location"] == {"row": 2, "column": 9}
    assert by_file["broken.py"]["code"] is None and by_file["broken.py"]["name"] == "error"


def test_json_fix_and_verification():
    finding = Finding("RPL101", "pipeline-call-without-generator", "m", "a.py", Position(1, 1), Position(1, 5),
                      fix=Fix(Applicability.UNSAFE, "pass a seeded generator"),
                      extra={"verification": {"verdict": "drift confirmed"}})
    run = RunReport(files=[FileReport("a.py", findings=[finding])], checked=1)
    (entry,) = json.loads(render(run, "json"))
    assert entry["fix"] == {"applicability": "unsafe", "message": "pass a seeded generator", "edits": []}
    assert entry["verification"] == {"verdict": "drift confirmed"}


def test_sarif_is_valid_against_the_official_schema(project):
    log = json.loads(output(project, "sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in ALL_RULES]  # one per rule
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"RPL101"} and len(results) == 2
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    bad = next(r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.py")
    assert bad["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    notebook = next(r for r in results if r is not bad)
    assert notebook["properties"]["cell"] == 2
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "could not parse" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_sarif_with_fix_and_clean_run_is_valid(tmp_path):
    finding = Finding("RPL101", "pipeline-call-without-generator", "m", str(tmp_path / "a.py"),
                      Position(1, 1), Position(1, 5), fix=Fix(Applicability.SAFE, "x"))
    for run in (RunReport(files=[FileReport("a.py", findings=[finding])], checked=1), RunReport(checked=3)):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(render(run, "sarif")))


def test_github_workflow_commands(project):
    lines = output(project, "github").splitlines()
    assert any(line.startswith("::warning file=bad.py,line=4,col=9,endLine=4,endColumn=33,title=RPL101::"
                               "pipeline call without `generator=`") for line in lines)
    pattern = re.compile(r"^::(warning|error) file=[^,]+(,line=\d+,col=\d+[^:]*)?,title=[^:]+::.+$")
    assert all(pattern.match(line) for line in lines), lines
    assert any(line.startswith("::error file=broken.py,line=2,") for line in lines)
    # A notebook is annotated as a file (its lines are JSON), the message naming the cell.
    assert "::warning file=nb.ipynb,title=RPL101::cell 2, line 2, column 9: pipeline call" in "\n".join(lines)


def test_github_escapes_newlines_and_separators():
    finding = Finding("RPL101", "n", "50% of\nruns", "a,b:c.py", Position(1, 1), Position(1, 2))
    text = render(RunReport(files=[FileReport("a.py", findings=[finding])], checked=1), "github")
    assert text == "::warning file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=2,title=RPL101::50%25 of%0Aruns\n"


def test_junit_parses_as_xml(project):
    root = ElementTree.fromstring(output(project, "junit"))
    assert root.tag == "testsuites" and root.get("failures") == "2" and root.get("errors") == "1"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"bad.py", "clean.py", "broken.py", "nb.ipynb"}
    (case,) = suites["bad.py"].findall("testcase")
    assert case.get("line") == "4" and case.find("failure").get("type") == "RPL101"
    assert suites["clean.py"].find("testcase").find("failure") is None
    assert suites["broken.py"].find("testcase").find("error") is not None
    assert "cell 2:2:9" in suites["nb.ipynb"].find("testcase").find("failure").text
    assert int(root.get("tests")) == sum(len(s.findall("testcase")) for s in suites.values())


def test_statistics(project):
    text = invoke(".", "--statistics", cwd=project).stdout
    assert text.splitlines()[0].split() == ["2", "RPL101", "pipeline-call-without-generator"]
    rows = json.loads(invoke(".", "--statistics", "--output-format", "json", cwd=project).stdout)
    assert rows == [{"code": "RPL101", "name": "pipeline-call-without-generator", "count": 2, "fixable": 0}]


def test_output_file(project):
    result = invoke(".", "--output-format", "json", "-o", "reports/out.json", cwd=project)
    assert result.stdout == "" and result.exit_code == 2
    assert len(json.loads((project / "reports" / "out.json").read_text())) == 3


def test_exit_zero(project):
    assert invoke(".", "--exit-zero", cwd=project).exit_code == 0


def test_colour_only_on_a_tty_without_no_color(monkeypatch):
    class Terminal:
        @staticmethod
        def isatty():
            return True

    monkeypatch.setattr("sys.stdout", Terminal)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_options.use_color(None) is True
    assert cli_options.use_color("out.txt") is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli_options.use_color(None) is False


def test_coloured_output_has_ansi_and_plain_has_none():
    finding = Finding("RPL101", "n", "m", "a.py", Position(1, 1), Position(1, 2), extra={"source_line": "pipe()"})
    run = RunReport(files=[FileReport("a.py", findings=[finding])], checked=1)
    assert "\x1b[" in render(run, "full", ReportOptions(color=True))
    assert "\x1b[" not in render(run, "full", ReportOptions(color=False))


def test_piped_output_has_no_colour(project):
    assert "\x1b[" not in invoke(".", cwd=project).stdout


def test_file_errors_render_with_cells():
    error = FileError("nb.ipynb", "could not parse: x", 2, 5, cell=3)
    assert error.render() == "nb.ipynb:cell 3:2:5: error: could not parse: x"


@pytest.mark.parametrize("output_format", ["full", "concise"])
def test_fixable_findings_are_marked_as_ruff_marks_them(output_format):
    def finding(line, applicability):
        fix = Fix(applicability, "m") if applicability else None
        return Finding("RPL101", "n", "msg", "a.py", Position(line, 1), Position(line, 2), fix=fix)

    run = RunReport(files=[FileReport("a.py", findings=[
        finding(1, Applicability.SAFE), finding(2, Applicability.UNSAFE), finding(3, None)])], checked=1)
    text = render(run, output_format)
    assert "a.py:1:1: RPL101 [*] msg" in text
    assert "a.py:2:1: RPL101 msg" in text and "a.py:3:1: RPL101 msg" in text
    assert "[*] 1 fixable with --fix (1 hidden fix can be enabled with --unsafe-fixes)." in text
    unsafe = render(run, output_format, ReportOptions(unsafe_fixes=True))
    assert "a.py:2:1: RPL101 [*] msg" in unsafe and "[*] 2 fixable with --fix." in unsafe
    assert "fixable" not in render(run, output_format, ReportOptions(quiet=True))


@pytest.mark.parametrize("output_format,parse", [
    ("json", json.loads),
    ("sarif", lambda text: jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(text))),
    ("junit", ElementTree.fromstring),
])
def test_machine_formats_print_a_well_formed_report_when_nothing_is_linted(tmp_path, output_format, parse):
    result = invoke(".", "--output-format", output_format, cwd=tmp_path)
    assert result.exit_code == 0
    parse(result.stdout)
    assert "no Python files found" in result.stderr


# -- notebooks in SARIF: positions in the .ipynb file itself --------------------------------------
def _file_text_at(text: str, region: dict, end: bool = False) -> str:
    line, column = (region["endLine"], region["endColumn"]) if end else (region["startLine"], region["startColumn"])
    return text.splitlines()[line - 1][column - 1:]


@pytest.mark.parametrize("layout", ["indented", "one line", "string sources"])
def test_sarif_gives_notebook_findings_the_line_and_column_of_the_ipynb_file(tmp_path, layout):
    cells = json.loads(NOTEBOOK)["cells"]
    cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["# A \"title\" \\ with escapes\n"]})
    # An escaped quote and a non-ASCII character before the call: columns count raw JSON characters.
    cells[2]["source"][1] = 'label = "caf\u00e9 \\"x\\""; ' + cells[2]["source"][1]
    if layout == "string sources":
        for cell in cells:
            cell["source"] = "".join(cell["source"])
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(notebook, indent=None if layout == "one line" else 1)
    (tmp_path / "nb.ipynb").write_text(text)
    log = json.loads(invoke("nb.ipynb", "--no-cache", "--output-format", "sarif", cwd=tmp_path).stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (result,) = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert _file_text_at(text, region).startswith('pipe(\\"a photo of a cat\\")')
    assert _file_text_at(text, region, end=True).startswith(".images[0]")
    assert result["properties"]["cell"] == 2
    assert result["properties"]["cellLine"] == 2
    assert result["locations"][0]["logicalLocations"] == [{"name": "cell 2", "kind": "notebookCell"}]


def test_sarif_gives_a_notebook_parse_error_the_line_of_the_ipynb_file(tmp_path):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": ["x = 1\n"]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["y = 2\n", "z = (\n"]}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    (tmp_path / "nb.ipynb").write_text(text)
    log = json.loads(invoke("nb.ipynb", "--no-cache", "--output-format", "sarif", cwd=tmp_path).stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (notification,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    region = notification["locations"][0]["physicalLocation"]["region"]
    assert text.splitlines()[region["startLine"] - 1].strip() == '"z = (\\n"'
    assert notification["properties"] == {"cell": 2, "cellLine": 2, "cellColumn": 5}


# -- --statistics with the formats it cannot be ---------------------------------------------------
@pytest.mark.parametrize("output_format", ["sarif", "github", "junit"])
def test_statistics_with_a_format_it_cannot_be_is_a_usage_error(project, output_format):
    result = invoke(".", "--statistics", "--output-format", output_format, cwd=project)
    assert result.exit_code == 2
    assert (f"--statistics prints a table (text, or JSON with --output-format json); it cannot be "
            f"combined with --output-format {output_format}") in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("output_format", ["full", "concise"])
def test_statistics_with_the_text_formats_is_the_text_table(project, output_format):
    text = invoke(".", "--statistics", "--output-format", output_format, cwd=project).stdout
    assert text.splitlines()[0].split() == ["2", "RPL101", "pipeline-call-without-generator"]
