"""Errors that teach (issue 25): a mistake in the first hour gets one line saying what to do, and
exit status 2, not a traceback, a silently ignored option or a made-up file error."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reprolint.registry import suggest_selector
from tests.conftest import BAD_PIPELINE, invoke, reprolint_command


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "gen.py"
    path.write_text(BAD_PIPELINE, encoding="utf-8")
    return path


# -- --verify and its options -------------------------------------------------------------------
def test_verify_without_its_extra_names_the_extra_in_one_line(script, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['numpy'] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(reprolint_command() + ["--verify", str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'reprolint: error: --verify needs the `verify` extra (numpy missing): pip install "reprolint-torch[verify]"']
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_verify_without_torch_is_caught_before_any_run(script, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    result = invoke("--verify", script)
    assert result.exit_code == 2
    assert "(torch missing)" in result.stderr and "reprolint-torch[verify]" in result.stderr


@pytest.mark.parametrize("arguments,flags", [
    (["--verify-report", "report"], "--verify-report"),
    (["--device", "cpu"], "--device"),
    (["--keep-outputs", "out", "--allow-download"], "--allow-download, --keep-outputs"),
    (["--stand-in", "never"], "--stand-in"),
    (["--verify-timeout", "10"], "--verify-timeout"),
])
def test_verify_options_without_verify_are_usage_errors(script, tmp_path, arguments, flags):
    result = invoke(script, *arguments, cwd=tmp_path)
    assert result.exit_code == 2
    assert f"{flags} only" in result.stderr and "with --verify" in result.stderr
    assert not (tmp_path / "report").exists() and not (tmp_path / "out").exists()


def test_options_shared_with_lint_stay_valid_without_verify(script):
    # --verbose (tracebacks of internal errors) and --no-cache belong to plain lint too.
    result = invoke(script, "--verbose", "--no-cache")
    assert result.exit_code == 1, result.stderr


# -- misspelt rules and subcommands -------------------------------------------------------------
@pytest.mark.parametrize("typed,meant", [
    ("generator-reuse", "generator-reused"),
    ("generator_reused", "generator-reused"),
    ("RPL1O1", "RPL101"),
    ("rpl1o1", "RPL101"),
    ("RPL1O", "RPL10"),
])
def test_a_misspelt_selector_gets_a_suggestion(script, typed, meant):
    assert suggest_selector(typed) == meant
    result = invoke(script, "--select", typed)
    assert result.exit_code == 2
    assert f"unknown rule selector `{typed}` (did you mean `{meant}`?)" in result.stderr


@pytest.mark.parametrize("typed", ["RPL999", "xyz", "ALLL-of-them"])
def test_no_suggestion_when_nothing_is_close(typed):
    assert suggest_selector(typed) is None


def test_a_misspelt_selector_in_the_configuration_gets_a_suggestion(script, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.reprolint]\nignore = ["RPL1O1"]\n', encoding="utf-8")
    result = invoke(script, cwd=tmp_path)
    assert result.exit_code == 2
    assert "did you mean `RPL101`?" in result.stderr


@pytest.mark.parametrize("typed,meant", [("RPL1O1", "RPL101"), ("generator-reuse", "generator-reused")])
def test_rule_command_suggests_the_rule(typed, meant):
    result = invoke("rule", typed)
    assert result.exit_code == 2
    assert f"did you mean `{meant}`?" in result.stderr


def test_a_misspelt_subcommand_is_one_usage_error(tmp_path):
    result = invoke("rules", "RPL101", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no such command or path `rules` (did you mean `reprolint rule`?)" in result.stderr
    assert "no such file" not in result.stderr + result.stdout


def test_a_path_named_like_a_misspelt_subcommand_is_linted(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "gen.py").write_text(BAD_PIPELINE, encoding="utf-8")
    result = invoke("rules", cwd=tmp_path)
    assert result.exit_code == 1
    assert "RPL101" in result.stdout


def test_a_missing_path_unlike_any_subcommand_is_still_a_file_error(tmp_path):
    result = invoke("train.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no such command" not in result.stderr + result.stdout


# -- version and the top-level usage line --------------------------------------------------------
@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_flags(flag):
    result = invoke(flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("reprolint, version ")


def test_top_level_error_names_the_command_the_user_typed(script):
    result = invoke(script, "--bogus")
    assert result.exit_code == 2
    assert " check " not in result.stderr
    assert "[OPTIONS] [PATHS]..." in result.stderr


def test_explicit_check_error_still_names_check(script):
    result = invoke("check", script, "--bogus")
    assert result.exit_code == 2
    assert " check [OPTIONS] [PATHS]..." in result.stderr
