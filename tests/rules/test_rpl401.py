"""RPL401 unpinned-framework: dependency files, read only when the rule is selected."""

import pytest

from reprolint.dependencies import pins_a_release_line, read_dependency_file
from reprolint.engine import Linter
from reprolint.settings import Settings
from tests.conftest import invoke

SLICE_TEST = (
    "import numpy as np\n\ndef test_ddim():\n"
    "    expected_slice = np.array([0.56, 0.60, 0.48])\n    assert close(image_slice, expected_slice)\n"
)


def requirement(text: str, name: str = "requirements.txt"):
    (found,) = read_dependency_file(name, text).requirements
    return found


@pytest.mark.parametrize("text", ["torch==2.1.2", "torch==2.1.*", "torch~=2.1", "torch>=2.1,<2.2", "torch<=2.1.2",
                                  "torch===2.1.2", "torch @ https://download.pytorch.org/whl/torch-2.1.2.whl",
                                  "diffusers[torch]==0.25.0 ; python_version >= '3.9'", "torch (==2.1.2)"])
def test_pip_specifiers_that_pin(text):
    assert pins_a_release_line(requirement(text))


@pytest.mark.parametrize("text", ["torch", "torch>=2.1", "torch>2", "torch!=2.0.0", "torch>=2.1,!=2.1.1",
                                  "Diffusers >= 0.25"])
def test_pip_specifiers_that_do_not_pin(text):
    assert not pins_a_release_line(requirement(text))


@pytest.mark.parametrize("spec,pinned", [("pytorch=2.1", True), ("pytorch==2.1.2", True), ("pytorch 2.1.0", True),
                                         ("pytorch::pytorch=2.1", True), ("pytorch>=2.1", False), ("pytorch", False),
                                         ("pytorch>=2.1,<2.2", True)])
def test_conda_specifiers(spec, pinned):
    text = f"dependencies:\n  - {spec}\n"
    found = requirement(text, "environment.yml")
    assert found.name == "pytorch" and pins_a_release_line(found) is pinned


@pytest.mark.parametrize("value,pinned", [('"^2.1"', True), ('"~2.1"', True), ('"2.1.2"', True), ('"*"', False),
                                          ('">=2.1"', False), ('{ version = "^2.1", source = "pytorch" }', True),
                                          ('{ git = "https://github.com/pytorch/pytorch" }', True)])
def test_poetry_specifiers(value, pinned):
    text = f'[tool.poetry.dependencies]\npython = "^3.10"\ntorch = {value}\n'
    found = [r for r in read_dependency_file("pyproject.toml", text).requirements if r.name == "torch"]
    assert len(found) == 1 and found[0].line == 3 and pins_a_release_line(found[0]) is pinned


def test_requirements_txt_skips_options_comments_and_continuations():
    text = ("-r base.txt\n--index-url https://x\n# torch>=2\n-e ./local\n"
            "diffusers>=0.25 \\\n    --hash=sha256:abc\ntorch>=2.1  # the framework\n")
    found = read_dependency_file("requirements-dev.txt", text).requirements
    assert [(r.name, r.line, r.column) for r in found] == [("torch", 7, 1)]


def test_pyproject_requirements_are_located_in_their_own_tables():
    text = ('[project]\nname = "x"\ndependencies = ["numpy", "torch>=2"]\n'
            '[project.optional-dependencies]\ngpu = [\n  "torch>=2",\n]\n')
    found = read_dependency_file("pyproject.toml", text).requirements
    assert [(r.name, r.line, r.column) for r in found] == [("numpy", 3, 18), ("torch", 3, 27), ("torch", 6, 4)]


def test_a_broken_pyproject_gives_nothing_rather_than_a_crash():
    assert read_dependency_file("pyproject.toml", "[project\ndependencies = [").requirements == []


# -- the project around the file, the engine and the command line -----------------------------

@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["diffusers>=0.25"]\n')
    (tmp_path / "requirements.txt").write_text("numpy\ntorch>=2.1\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_pipe.py").write_text(SLICE_TEST)
    (tmp_path / "gen.py").write_text("import torch\nx = torch.randn(3)\n")
    return tmp_path


def _codes(result) -> list:
    return sorted(" ".join(line.split(" ")[:2]) for line in result.output.splitlines()
                  if line.split(" ")[1:2] and line.split(" ")[1].startswith("RPL"))


def test_default_runs_never_look_at_dependency_files(project):
    result = invoke(".", "--no-cache", "--output-format", "concise", cwd=project)
    assert "requirements.txt" not in result.output and "pyproject.toml" not in result.output
    assert "(2 files checked)" in result.output  # gen.py and tests/test_pipe.py only


def test_selected_rule_reads_the_projects_dependency_files(project):
    result = invoke(".", "--select", "RPL401", "--no-cache", "--output-format", "concise", cwd=project)
    assert result.exit_code == 1, result.output
    assert _codes(result) == ["pyproject.toml:3:18: RPL401", "requirements.txt:2:1: RPL401"]
    assert "tests/test_pipe.py` records reference outputs (`expected_slice`)" in result.output


def test_a_project_without_reference_outputs_is_not_flagged(project):
    (project / "tests" / "test_pipe.py").write_text("def test_runs():\n    assert True\n")
    result = invoke(".", "--select", "RPL401", "--no-cache", cwd=project)
    assert result.exit_code == 0, result.output


def test_a_saved_reference_image_counts(project):
    (project / "tests" / "test_pipe.py").unlink()
    (project / "tests" / "reference").mkdir()
    (project / "tests" / "reference" / "sd15_cat.png").write_bytes(b"\x89PNG")
    result = invoke("requirements.txt", "--select", "RPL401", "--no-cache", cwd=project)
    assert result.exit_code == 1 and "tests/reference/sd15_cat.png` is a saved reference output" in result.output


def test_cached_runs_see_the_project_change(project):
    first = invoke(".", "--select", "RPL401", "--output-format", "concise", cwd=project)
    assert first.exit_code == 1
    # The requirement file is unchanged, but the project no longer records reference outputs.
    (project / "tests" / "test_pipe.py").write_text("def test_runs():\n    assert True\n")
    second = invoke(".", "--select", "RPL401", "--output-format", "concise", cwd=project)
    assert second.exit_code == 0, second.output


def test_noqa_and_per_file_ignores_apply_to_dependency_files(project):
    (project / "requirements.txt").write_text("torch>=2.1  # noqa: RPL401\n")
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + '\n[tool.reprolint]\nper-file-ignores = { "pyproject.toml" = ["RPL401"] }\n')
    result = invoke(".", "--select", "RPL401", "--no-cache", cwd=project)
    assert result.exit_code == 0, result.output


def test_parallel_runs_and_json_output_agree(project):
    serial = invoke(".", "--select", "RPL401", "--no-cache", "-j", "1", "--output-format", "json", cwd=project)
    pooled = invoke(".", "--select", "RPL401", "--no-cache", "-j", "2", "--output-format", "json", cwd=project)
    assert serial.output == pooled.output and '"RPL401"' in serial.output


def test_fix_leaves_dependency_files_alone_and_reports_them(project):
    before = (project / "requirements.txt").read_text()
    result = invoke(".", "--select", "RPL401,RPL101", "--fix", "--no-cache", cwd=project)
    assert result.exit_code == 1 and "RPL401" in result.output and "error" not in result.output.lower()
    assert (project / "requirements.txt").read_text() == before


def test_a_dependency_file_that_is_not_utf8_is_an_error_for_that_file(project):
    (project / "requirements.txt").write_bytes(b"torch>=2.1 \xff\n")
    report = Linter(Settings(select=("RPL401",))).lint_file(str(project / "requirements.txt"))
    assert report.errors and "not valid UTF-8" in report.errors[0].message


def test_other_rules_never_read_dependency_files_as_python(project):
    # Named explicitly without RPL401, a requirements file is what it always was: not Python.
    linter = Linter(Settings())
    assert not linter.reads_as_dependency_file(str(project / "requirements.txt"))
    assert Linter(Settings(select=("RPL401",))).reads_as_dependency_file(str(project / "requirements.txt"))
