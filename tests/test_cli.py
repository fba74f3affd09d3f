"""The installed `reprolint` command, driven as a user drives it."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import run_cli

ROOT = pathlib.Path(__file__).resolve().parent.parent

BAD = textwrap.dedent(
    """\
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    g = torch.Generator("cpu").manual_seed(0)
    first = pipe("a cat", generator=g).images[0]
    second = pipe("a dog", generator=g).images[0]
    third = pipe("a fox").images[0]
    """
)
GOOD = textwrap.dedent(
    """\
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
    """
)


@pytest.fixture
def project(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "gen.py").write_text(BAD)
    (src / "good.py").write_text(GOOD)
    (src / "notes.txt").write_text("pipe() without generator")
    for skipped in (".git", "__pycache__", "build", "dist", ".venv"):
        (src / skipped).mkdir()
        (src / skipped / "gen.py").write_text(BAD)
    venv = src / "myenv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "gen.py").write_text(BAD)
    return tmp_path


def test_findings_are_printed_sorted_with_summary_and_exit_1(project):
    result = run_cli("src", "--output-format", "concise", cwd=project)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "src/gen.py:7:34: RPL102 generator `g`, made on line 5 (`torch.Generator(\"cpu\")`), was consumed "
        "by the call at line 6; re-seed it before reuse (`g.manual_seed(<seed>)`) or create a fresh "
        "generator for this call",
        "src/gen.py:8:9: RPL101 pipeline call without `generator=`: every run draws fresh noise; pass "
        'generator=torch.Generator("cpu").manual_seed(<seed>)',
        "No fixes available (2 hidden fixes can be enabled with --unsafe-fixes).",
        "Found 2 findings (2 RPL1xx) in 1 file (2 files checked).",
    ]


def test_clean_tree_exits_0(project):
    result = run_cli("src/good.py", cwd=project)
    assert result.returncode == 0
    assert result.stdout.strip() == "All checks passed (1 file checked)."


def test_default_path_is_the_current_folder(project):
    result = run_cli(cwd=project / "src")
    assert result.returncode == 1
    assert result.stdout.startswith("gen.py:7:34: RPL102")


@pytest.mark.parametrize("selector", ["RPL101", "rpl101", "pipeline-call-without-generator", "RPL10"])
def test_select_accepts_codes_prefixes_and_names(project, selector):
    result = run_cli("src", "--select", selector, cwd=project)
    codes = {line.split()[1] for line in result.stdout.splitlines() if ": RPL" in line}
    expected = {"RPL101"} if selector != "RPL10" else {"RPL101", "RPL102"}
    assert codes == expected


def test_ignore_by_name_and_comma_list(project):
    result = run_cli("src", "--ignore", "generator-reused,RPL101", cwd=project)
    assert result.returncode == 0
    result = run_cli("src", "--ignore", "RPL102", cwd=project)
    assert [l.split()[1] for l in result.stdout.splitlines() if ": RPL" in l] == ["RPL101"]


def test_default_off_rules_run_only_when_selected(project, tmp_path):
    from reprolint.rules import ALL_RULES

    off = [rule for rule in ALL_RULES if not rule.default]
    default_run = run_cli("src", cwd=project)
    assert all(rule.code not in default_run.stdout for rule in off)


def test_unknown_selector_is_a_usage_error(project):
    result = run_cli("src", "--select", "RPL999", cwd=project)
    assert result.returncode == 2
    assert "RPL999" in result.stderr


@pytest.mark.parametrize(
    "comment,remaining",
    [
        ("# noqa", []),
        ("# noqa: RPL101", []),
        ("# noqa: RPL102", ["RPL101"]),
        ("# noqa: RPL101,RPL102", []),
        ("# noqa: pipeline-call-without-generator", []),
    ],
)
def test_noqa_on_the_reported_line(tmp_path, comment, remaining):
    (tmp_path / "s.py").write_text(BAD.replace('third = pipe("a fox").images[0]', f'third = pipe("a fox").images[0]  {comment}'))
    result = run_cli("s.py", "--select", "RPL101", "--output-format", "concise", cwd=tmp_path)
    assert [l.split()[1] for l in result.stdout.splitlines() if ": RPL" in l] == remaining


def test_file_level_noqa(tmp_path):
    (tmp_path / "s.py").write_text("# reprolint: noqa: RPL101\n" + BAD)
    result = run_cli("s.py", "--output-format", "concise", cwd=tmp_path)
    assert [l.split()[1] for l in result.stdout.splitlines() if ": RPL" in l] == ["RPL102"]


def test_unparseable_file_among_good_ones(project):
    (project / "src" / "broken.py").write_text("def broken(:\n    pass\n")
    result = run_cli("src", cwd=project)
    assert result.returncode == 2
    assert "src/broken.py:1:" in result.stdout and "error: could not parse:" in result.stdout
    assert "src/gen.py:7:34: RPL102" in result.stdout  # the other files were still linted


def test_missing_path_is_an_error_and_others_still_run(project):
    result = run_cli("src/gen.py", "nope.py", cwd=project)
    assert result.returncode == 2
    assert "nope.py:1:1: error: no such file or directory" in result.stdout
    assert "RPL102" in result.stdout


def test_zero_files_is_not_a_crash(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("empty", cwd=tmp_path)
    assert result.returncode == 0
    assert "no Python files found" in result.stderr
    assert "Traceback" not in result.stderr


def test_exit_zero(project):
    assert run_cli("src", "--exit-zero", cwd=project).returncode == 0


def test_rule_command_prints_documentation():
    result = run_cli("rule", "RPL101")
    assert result.returncode == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in result.stdout
    by_name = run_cli("rule", "generator-reused")
    assert by_name.stdout.startswith("# RPL102: generator-reused")
    assert run_cli("rule", "RPL999").returncode == 2


def test_rule_all_lists_every_rule():
    from reprolint.rules import ALL_RULES

    result = run_cli("rule", "--all")
    assert [line.split()[0] for line in result.stdout.splitlines()] == [r.code for r in ALL_RULES]


def test_help_teaches_usage_and_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "Exit status" in result.stdout and "--select" in result.stdout and "rule" in result.stdout


def test_python_dash_m(project):
    result = subprocess.run([sys.executable, "-m", "reprolint", "src"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 1 and "RPL102" in result.stdout


def test_examples_folder_has_real_findings():
    result = run_cli("examples", cwd=ROOT)
    assert result.returncode == 1
    assert "examples/sd_text2img_bad.py" in result.stdout
    assert "sd_text2img_good.py" not in result.stdout
    assert "prompt_loop_good.py" not in result.stdout


def test_import_reprolint_and_linting_never_import_torch():
    code = (
        "import sys, reprolint, reprolint.cli, reprolint.engine\n"
        "from reprolint.engine import Linter\n"
        "Linter().lint_paths(['examples'])\n"
        "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules, 'torch imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["clean", "rule"])
def test_a_folder_named_like_a_subcommand_is_pointed_to_check(tmp_path, name):
    from tests.conftest import invoke

    (tmp_path / name).mkdir()
    (tmp_path / name / "gen.py").write_text(BAD)
    result = invoke(name, cwd=tmp_path)
    assert result.exit_code == 0  # the subcommand ran: its name wins, as documented
    assert (f"note: `{name}` is a reprolint subcommand and also a path here; to lint the path, "
            f"run `reprolint check {name}`") in result.stderr
    linted = invoke("check", name, "--no-cache", cwd=tmp_path)
    assert linted.exit_code == 1 and "RPL102" in linted.stdout
    assert "subcommand" not in invoke("check", name, "--no-cache", cwd=tmp_path).stderr


def test_a_subcommand_name_that_is_not_a_path_gives_no_note(tmp_path):
    from tests.conftest import invoke

    result = invoke("rule", "RPL101", cwd=tmp_path)
    assert result.exit_code == 0 and result.stderr == ""
