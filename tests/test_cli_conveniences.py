"""The conveniences ruff users reach for (issue 25): --show-settings, --show-files,
`rule --output-format json`, shell completion, and the fix-reporting options."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from reprolint.rules import ALL_RULES
from tests.conftest import BAD_PIPELINE, invoke, reprolint_command


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.reprolint]\nignore = ["RPL301"]\nfix-seed = 7\nextend-exclude = ["legacy"]\n'
        '[tool.reprolint.per-file-ignores]\n"tests/**" = ["RPL101"]\n', encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "gen.py").write_text(BAD_PIPELINE, encoding="utf-8")
    (tmp_path / "src" / "notes.txt").write_text("not python\n", encoding="utf-8")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(BAD_PIPELINE, encoding="utf-8")
    (tmp_path / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
                                       encoding="utf-8")
    return tmp_path


# -- --show-settings / --show-files ---------------------------------------------------------------
def test_show_settings_names_the_file_and_the_resolved_values(project):
    result = invoke("src", "--show-settings", "--extend-select", "RPL401", cwd=project)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"Settings path: {project / 'pyproject.toml'}" in lines
    assert "fix-seed = 7" in lines
    assert 'extend-exclude = ["legacy"]' in lines
    assert 'per-file-ignores = { "tests/**" = ["RPL101"] }' in lines
    # The selection is shown resolved: the file's ignore and the command line's extend-select merged.
    (select,) = [line for line in lines if line.startswith("select = ")]
    assert '"RPL401"' in select and '"RPL301"' not in select and '"RPL101"' in select
    enabled = lines[next(i for i, line in enumerate(lines) if line.startswith("Enabled rules")) + 1:]
    codes = [line.split()[0] for line in enabled]
    assert "RPL101" in codes and "RPL401" in codes and "RPL301" not in codes


def test_show_settings_without_a_configuration_file(tmp_path):
    result = invoke("--show-settings", "--isolated", cwd=tmp_path)
    assert result.exit_code == 0
    assert "Settings path: none" in result.stdout
    assert "fix-seed = 0" in result.stdout.splitlines()


def test_show_files_lists_what_a_run_would_lint_and_lints_nothing(project):
    result = invoke("--show-files", cwd=project)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["nb.ipynb", os.path.join("src", "gen.py")]
    assert "RPL101" not in result.stdout


def test_show_files_reports_a_missing_path(project):
    result = invoke("src", "nothere.py", "--show-files", cwd=project)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [os.path.join("src", "gen.py")]
    assert "nothere.py" in result.stderr


# -- reprolint rule --output-format json ---------------------------------------------------------
def test_rule_all_as_json_lists_every_rule():
    result = invoke("rule", "--all", "--output-format", "json")
    assert result.exit_code == 0
    rules = json.loads(result.stdout)
    assert [rule["code"] for rule in rules] == [rule.code for rule in ALL_RULES]
    first = rules[0]
    assert set(first) == {"code", "name", "summary", "default", "fix", "file_kinds", "url", "explanation"}
    assert first["explanation"].startswith("## What it does")
    assert first["fix"] in ("safe", "unsafe", "none")


def test_one_rule_as_json():
    rule = json.loads(invoke("rule", "generator-reused", "--output-format", "json").stdout)
    assert rule["code"] == "RPL102" and rule["name"] == "generator-reused"


# -- --add-noqa -----------------------------------------------------------------------------------
LEGACY = '''\
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
pipe = pipe.to("cuda")  # fp16 on the GPU
image = pipe("a cat").images[0]  # noqa: E501
image = pipe("a dog", seed=1234).images[0]
image = pipe("""a long
prompt""").images[0]
'''


def test_add_noqa_grandfathers_every_finding(tmp_path):
    (tmp_path / "legacy.py").write_text(LEGACY, encoding="utf-8")
    result = invoke(".", "--add-noqa", "--no-cache", cwd=tmp_path)
    text = (tmp_path / "legacy.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[4] == 'pipe = pipe.to("cuda")  # fp16 on the GPU  # noqa: RPL301'
    assert lines[5] == 'image = pipe("a cat").images[0]  # noqa: E501, RPL101'  # another linter's code kept
    assert lines[6] == 'image = pipe("a dog", seed=1234).images[0]  # noqa: RPL101, RPL103'
    # The call whose line ends inside a string cannot take a comment there: left, and said so.
    assert lines[7] == 'image = pipe("""a long'
    assert "legacy.py:8:9: RPL101 could not be suppressed here" in result.stderr
    assert "Added 3 noqa directives." in result.stderr
    assert result.exit_code == 1  # one finding is left
    after = invoke(".", "--no-cache", "--extend-select", "RPL900", "--output-format", "concise", cwd=tmp_path)
    # What is left is the one finding; no directive is unused (RPL900 is silent).
    assert [line.split()[:2] for line in after.stdout.splitlines() if line.startswith("legacy.py")] == [
        ["legacy.py:8:9:", "RPL101"]]
    again = invoke(".", "--add-noqa", "--no-cache", cwd=tmp_path)
    assert "Added 0 noqa directives." in again.stderr
    assert (tmp_path / "legacy.py").read_text(encoding="utf-8") == text


def test_add_noqa_keeps_crlf_and_exits_0_when_everything_is_suppressed(tmp_path):
    source = 'import torch\r\nfrom diffusers import DiffusionPipeline\r\npipe = DiffusionPipeline.from_pretrained("x")\r\nimage = pipe("a cat").images[0]\r\n'
    (tmp_path / "gen.py").write_bytes(source.encode())
    result = invoke("gen.py", "--add-noqa", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "gen.py").read_bytes() == source.replace(
        'images[0]\r\n', 'images[0]  # noqa: RPL101\r\n').encode()
    assert invoke("gen.py", "--no-cache", cwd=tmp_path).exit_code == 0


def test_add_noqa_leaves_notebooks_alone_and_says_so(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": BAD_PIPELINE.splitlines(keepends=True)}
    notebook = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    (tmp_path / "nb.ipynb").write_text(notebook, encoding="utf-8")
    result = invoke(".", "--add-noqa", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 1
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == notebook
    assert "nb.ipynb:4:9: RPL101 could not be suppressed here" in result.stderr


def test_add_noqa_does_not_write_a_read_only_file(tmp_path):
    path = tmp_path / "gen.py"
    path.write_text(BAD_PIPELINE, encoding="utf-8")
    path.chmod(0o444)
    try:
        result = invoke(".", "--add-noqa", "--no-cache", cwd=tmp_path)
    finally:
        path.chmod(0o644)
    assert result.exit_code == 2
    assert "could not add noqa directives: read-only" in result.stderr
    assert path.read_text(encoding="utf-8") == BAD_PIPELINE


@pytest.mark.parametrize("other", [["--fix"], ["--diff"], ["--verify"]])
def test_add_noqa_with_a_fix_or_verify_is_a_usage_error(tmp_path, other):
    (tmp_path / "gen.py").write_text(BAD_PIPELINE, encoding="utf-8")
    result = invoke(".", "--add-noqa", *other, cwd=tmp_path)
    assert result.exit_code == 2 and "--add-noqa" in result.stderr
    assert (tmp_path / "gen.py").read_text(encoding="utf-8") == BAD_PIPELINE


# -- --fix-only, --show-fixes, --exit-non-zero-on-fix, fixable/unfixable --------------------------
SEEDED_WRONG = '''\
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("a cat", seed=1234).images[0]
'''


@pytest.fixture
def fixable(tmp_path):
    (tmp_path / "gen.py").write_text(SEEDED_WRONG, encoding="utf-8")
    (tmp_path / "left.py").write_text(BAD_PIPELINE, encoding="utf-8")  # RPL101: unsafe, not fixed
    return tmp_path


def test_fix_only_fixes_and_does_not_report_what_is_left(fixable):
    result = invoke(".", "--fix-only", "--no-cache", cwd=fixable)
    assert result.exit_code == 0, result.output
    assert "seed=1234" not in (fixable / "gen.py").read_text(encoding="utf-8")
    assert "RPL101" not in result.stdout  # left.py's finding is not reported
    assert result.stdout.strip().splitlines()[-1] == "Fixed 1 finding (2 files checked)."


def test_fix_only_still_reports_errors(fixable):
    (fixable / "broken.py").write_text("import torch\ng = torch.Generator(\n", encoding="utf-8")
    result = invoke(".", "--fix-only", "--no-cache", cwd=fixable)
    assert result.exit_code == 2
    assert "broken.py" in result.stdout


def test_exit_non_zero_on_fix(fixable):
    (fixable / "left.py").unlink()
    result = invoke(".", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=fixable)
    assert result.exit_code == 1  # nothing is left, but a file was fixed
    again = invoke(".", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=fixable)
    assert again.exit_code == 0  # nothing to fix the second time
    assert invoke(".", "--fix-only", "--exit-non-zero-on-fix", "--exit-zero", cwd=fixable).exit_code == 0


def test_show_fixes_lists_what_was_fixed_per_file_and_rule(fixable):
    result = invoke(".", "--fix", "--show-fixes", "--unsafe-fixes", "--no-cache", cwd=fixable)
    listing = result.stdout.split("\n\n")[0] if "\n\n" in result.stdout else result.stdout
    assert "- gen.py:\n    1 \u00d7 RPL103 (seed-not-generator)\n" in listing
    assert "- left.py:\n    1 \u00d7 RPL101 (pipeline-call-without-generator)\n" in listing
    assert result.stdout.startswith("Fixed 2 findings:\n")


def test_show_fixes_with_diff_goes_to_stderr_and_says_would(fixable):
    result = invoke(".", "--diff", "--show-fixes", "--no-cache", cwd=fixable)
    assert result.exit_code == 1
    assert result.stderr.startswith("Would fix 1 finding:\n- gen.py:\n    1 \u00d7 RPL103")
    assert result.stdout.startswith("--- gen.py")


@pytest.mark.parametrize("arguments,message", [
    (["--exit-non-zero-on-fix"], "--exit-non-zero-on-fix only applies with --fix or --fix-only"),
    (["--show-fixes"], "--show-fixes only applies with --fix, --fix-only or --diff"),
])
def test_fix_reporting_options_alone_are_usage_errors(fixable, arguments, message):
    result = invoke(".", *arguments, cwd=fixable)
    assert result.exit_code == 2 and message in result.stderr


def test_unfixable_rules_are_reported_without_a_fix_and_never_fixed(fixable):
    (fixable / "pyproject.toml").write_text('[tool.reprolint]\nunfixable = ["seed-not-generator"]\n',
                                            encoding="utf-8")
    report = invoke("gen.py", "--no-cache", "--output-format", "json", cwd=fixable)
    (rpl103,) = [f for f in json.loads(report.stdout) if f["code"] == "RPL103"]
    assert rpl103["fix"] is None
    result = invoke("gen.py", "--fix", "--no-cache", cwd=fixable)
    assert result.exit_code == 1
    assert (fixable / "gen.py").read_text(encoding="utf-8") == SEEDED_WRONG
    # The command line can narrow it the other way: only RPL103's fixes are offered.
    (fixable / "pyproject.toml").unlink()
    only = invoke("left.py", "--fix", "--unsafe-fixes", "--fixable", "RPL103", "--no-cache", cwd=fixable)
    assert (fixable / "left.py").read_text(encoding="utf-8") == BAD_PIPELINE
    assert only.exit_code == 1


def test_unfixable_selector_is_checked(fixable):
    result = invoke(".", "--unfixable", "RPL1O3", cwd=fixable)
    assert result.exit_code == 2 and "did you mean `RPL103`?" in result.stderr


# -- --config KEY=VALUE -------------------------------------------------------------------------
def test_config_override_sets_a_key_as_the_file_would(fixable):
    (fixable / "pyproject.toml").write_text('[tool.reprolint]\nfix-seed = 3\n', encoding="utf-8")
    result = invoke("left.py", "--config", 'ignore = ["RPL101"]', "--config", "fix-seed=9", "--show-settings",
                    cwd=fixable)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "fix-seed = 9" in lines  # the override replaces the file's value
    assert not any(line.strip().startswith("RPL101") for line in lines)
    assert invoke("left.py", "--config", 'ignore = ["RPL101"]', "--no-cache", cwd=fixable).exit_code == 0


def test_config_override_with_a_file(fixable, tmp_path_factory):
    other = tmp_path_factory.mktemp("cfg") / "ci.toml"
    other.write_text('ignore = ["RPL101"]\n', encoding="utf-8")
    assert invoke("left.py", "--config", str(other), "--no-cache", cwd=fixable).exit_code == 0
    # A key given inline wins over the named file's.
    result = invoke("left.py", "--config", str(other), "--config", "ignore = []", "--no-cache", cwd=fixable)
    assert result.exit_code == 1


@pytest.mark.parametrize("value,message", [
    ("fix_seed=1", "unknown key `fix_seed`; did you mean `fix-seed`?"),
    ("fix-seed=-1", "bad value for `fix-seed`"),
    ("ignore=RPL101", "not a TOML `KEY = VALUE`"),
])
def test_bad_config_overrides_are_usage_errors(fixable, value, message):
    result = invoke("left.py", "--config", value, cwd=fixable)
    assert result.exit_code == 2
    assert message in result.stderr


def test_two_config_files_are_a_usage_error(fixable):
    (fixable / "a.toml").write_text("", encoding="utf-8")
    (fixable / "b.toml").write_text("", encoding="utf-8")
    result = invoke("left.py", "--config", "a.toml", "--config", "b.toml", cwd=fixable)
    assert result.exit_code == 2 and "give one file" in result.stderr


# -- shell completion (click's, through _REPROLINT_COMPLETE) --------------------------------------
def _complete(words: list, incomplete: str) -> list:
    from click.shell_completion import ShellComplete

    from reprolint.cli import main

    completion = ShellComplete(main, {}, "reprolint", "_REPROLINT_COMPLETE")
    return [(item.type, item.value) for item in completion.get_completions(words, incomplete)]


def test_completion_of_the_first_word_offers_subcommands_and_files():
    items = _complete([], "")
    assert {("plain", "check"), ("plain", "rule"), ("plain", "clean"), ("plain", "server")} <= set(items)
    assert ("file", "") in items  # `reprolint <TAB>` also completes paths (the implicit check)
    assert _complete([], "ru") == [("plain", "rule"), ("file", "ru")]


def test_completion_of_check_options_and_their_values():
    assert ("plain", "--select") in _complete([], "--sel")  # check's options without `check`
    assert ("plain", "--fix-only") in _complete(["src"], "--fix")
    formats = [value for _, value in _complete(["--output-format"], "")]
    assert {"gitlab", "rdjson", "pylint", "sarif"} <= set(formats)


def test_completion_of_rule_selectors():
    assert ("plain", "RPL101") in _complete(["rule"], "RPL10")
    assert ("plain", "RPL101,generator-reused") in _complete(["--select"], "RPL101,gen")
    assert ("plain", "seed-not-generator") in _complete([".", "--ignore"], "se")


def test_completion_never_raises_on_a_misspelt_subcommand():
    assert _complete(["rules"], "R") == [("file", "R")]


def test_bash_completion_script():
    done = subprocess.run(reprolint_command(), env={**os.environ, "_REPROLINT_COMPLETE": "bash_source"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "_reprolint_completion()" in done.stdout and "complete -o nosort -F _reprolint_completion reprolint" in done.stdout


# -- --watch ------------------------------------------------------------------------------------
def _watch_twice(folder, change, capsys, **options):
    """Run cli_options.watch for two lints, `change()` made from another thread once it waits."""
    import threading
    import time

    from reprolint import cli_options
    from reprolint.parallel import lint_paths_fast

    def changer():
        time.sleep(0.6)
        change()

    previous = os.getcwd()
    os.chdir(folder)
    try:
        thread = threading.Thread(target=changer)
        thread.start()
        status = cli_options.watch(
            (".",), lambda: cli_options.settings_from((".",), {}), {"output_format": "concise"}, False, False,
            lambda linter: lint_paths_fast(linter, (".",), 1, True, None), interval=0.05, rounds=2)
        thread.join()
    finally:
        os.chdir(previous)
    return status, capsys.readouterr()


def test_watch_lints_again_when_a_file_changes(tmp_path, capsys):
    (tmp_path / "gen.py").write_text("import torch\n", encoding="utf-8")
    status, captured = _watch_twice(tmp_path, lambda: (tmp_path / "gen.py").write_text(BAD_PIPELINE), capsys)
    assert status == 0
    first, second = captured.out.split("All checks passed (1 file checked).\n")
    assert first == "" and "gen.py:4:9: RPL101" in second
    assert "Watching for file changes." in captured.err and "File change detected" in captured.err


def test_watch_reads_a_changed_configuration(tmp_path, capsys):
    (tmp_path / "gen.py").write_text(BAD_PIPELINE, encoding="utf-8")
    status, captured = _watch_twice(
        tmp_path, lambda: (tmp_path / "pyproject.toml").write_text('[tool.reprolint]\nignore = ["RPL101"]\n'), capsys)
    assert status == 0
    assert captured.out.count("RPL101") == 1  # before the configuration appeared, not after
    assert captured.out.rstrip().endswith("All checks passed (1 file checked).")


def test_watch_with_fix_is_a_usage_error(tmp_path):
    result = invoke(".", "--watch", "--fix", cwd=tmp_path)
    assert result.exit_code == 2 and "--watch" in result.stderr


@pytest.mark.slow
def test_watch_runs_until_interrupted(tmp_path):
    import signal
    import time

    (tmp_path / "gen.py").write_text("import torch\n", encoding="utf-8")
    process = subprocess.Popen(reprolint_command() + [".", "--watch", "--no-cache"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while "Watching" not in process.stderr.readline():
            assert time.monotonic() < deadline
        (tmp_path / "gen.py").write_text(BAD_PIPELINE, encoding="utf-8")
        while "Watching" not in process.stderr.readline():
            assert time.monotonic() < deadline
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "RPL101" in out
