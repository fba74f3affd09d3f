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
