"""``--fix`` writes only what the user named, keeps every file's mode and line endings, skips
read-only files, and its summary counts honestly (issue 13)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import invoke

# One safe fix (RPL112 adds `noise_sampler_seed=0`) and nothing else.
SAFE_ONLY = "from diffusers import DPMSolverSDEScheduler\ns = DPMSolverSDEScheduler()\n"
SAFE_FIXED = "from diffusers import DPMSolverSDEScheduler\ns = DPMSolverSDEScheduler(noise_sampler_seed=0)\n"
# One safe fix (RPL104) and one unsafe one (RPL101).
MIXED = """\
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
second = pipe("a dog").images[0]
first = pipe("a cat", generator=torch.manual_seed(0)).images[0]
"""


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- modes --------------------------------------------------------------------------------------
def test_a_read_only_file_is_not_fixed_and_keeps_its_mode(tmp_path):
    # Tests run as root, who may write a 0444 file: the mode bits decide, not os.access.
    target = tmp_path / "locked.py"
    target.write_text(SAFE_ONLY)
    target.chmod(0o444)
    (tmp_path / "open.py").write_text(SAFE_ONLY)
    result = invoke(".", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "locked.py:1:1: error: read-only, not fixed" in result.output
    assert target.read_text() == SAFE_ONLY and _mode(target) == 0o444
    assert (tmp_path / "open.py").read_text() == SAFE_FIXED


def test_no_fixable_with_fix_hint_after_fix_refused_a_read_only_file(tmp_path):
    target = tmp_path / "locked.py"
    target.write_text(SAFE_ONLY)
    target.chmod(0o444)
    result = invoke("locked.py", "--fix", "--no-cache", cwd=tmp_path)
    assert "locked.py:1:1: error: read-only, not fixed" in result.output
    assert "fixable with --fix" not in result.output  # it just refused that very fix
    assert "Fixed 0, 1 remaining (1 fix not applied), 1 error" in result.output


def test_fixes_that_grow_the_text_past_the_size_limit_give_both_sizes(tmp_path, monkeypatch):
    """The limit's own message gave the size of the intermediate fixed text as the file's."""
    from reprolint import engine
    from reprolint.fix import apply

    monkeypatch.setattr(engine, "MAX_ANALYSED_CHARS", len(SAFE_ONLY) + 5)
    monkeypatch.setattr(apply, "MAX_ANALYSED_CHARS", len(SAFE_ONLY) + 5)
    target = tmp_path / "edge.py"
    target.write_text(SAFE_ONLY)
    result = invoke("edge.py", "--fix", "--no-cache", "--output-format", "concise", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert (f"edge.py:1:1: error: not fixed: the fixed text would be {len(SAFE_FIXED)} characters, over the limit "
            f"of {len(SAFE_ONLY) + 5} that reprolint analyses (the file has {len(SAFE_ONLY)}); file left unchanged"
            ) in result.output
    assert "edge.py:2:5: RPL112" in result.output  # the finding is still reported, as remaining
    assert target.read_text() == SAFE_ONLY


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o2755, 0o707])
def test_fix_never_changes_a_file_s_mode(tmp_path, mode):
    target = tmp_path / "script.py"
    target.write_text(SAFE_ONLY)
    target.chmod(mode)
    result = invoke("script.py", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert target.read_text() == SAFE_FIXED
    assert _mode(target) == mode


# -- writing only under the paths given ----------------------------------------------------------
def test_a_symlinked_folder_to_outside_is_linted_but_never_written(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "shared.py").write_text(SAFE_ONLY)
    project = tmp_path / "project"
    project.mkdir()
    (project / "own.py").write_text(SAFE_ONLY)
    os.symlink(outside, project / "linked")
    os.symlink(outside / "shared.py", project / "file_link.py")
    result = invoke("project", "--fix", "--no-cache", cwd=tmp_path)
    assert (project / "own.py").read_text() == SAFE_FIXED
    assert (outside / "shared.py").read_text() == SAFE_ONLY
    assert os.path.islink(project / "linked") and os.path.islink(project / "file_link.py")
    assert "not fixed: the file is outside the paths given" in result.output
    # Its findings are still reported, and counted as not written, not as unsafe fixes.
    assert result.exit_code == 1, result.output
    assert "fixable with --unsafe-fixes" not in result.output


def test_a_symlink_named_on_the_command_line_is_fixed_through(tmp_path):
    # The user named the link: its target is what they asked to fix, as an editor would.
    (tmp_path / "real.py").write_text(SAFE_ONLY)
    os.symlink(tmp_path / "real.py", tmp_path / "named.py")
    result = invoke("named.py", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "real.py").read_text() == SAFE_FIXED and os.path.islink(tmp_path / "named.py")


def test_link_targets_inside_the_paths_given_are_fixed_once(tmp_path):
    real = tmp_path / "src"
    real.mkdir()
    (real / "train.py").write_text(SAFE_ONLY)
    os.symlink(real, tmp_path / "alias")
    os.symlink(real / "train.py", tmp_path / "train_link.py")
    result = invoke(".", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Fixed 1, 0 remaining (1 file checked)."
    assert (real / "train.py").read_text() == SAFE_FIXED
    assert os.path.islink(tmp_path / "train_link.py")


# -- line endings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_fix_keeps_the_line_endings_and_the_final_one(tmp_path, newline):
    target = tmp_path / "endings.py"
    target.write_bytes(SAFE_ONLY.replace("\n", newline).encode())
    result = invoke("endings.py", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == SAFE_FIXED.replace("\n", newline).encode()


def test_fix_adding_lines_to_a_cr_only_file_uses_cr(tmp_path):
    target = tmp_path / "cr.py"
    target.write_bytes(MIXED.replace("\n", "\r").encode())
    result = invoke("cr.py", "--fix", "--unsafe-fixes", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert b"\n" not in data and data.endswith(b"\r") and b"manual_seed" in data


# -- honest counts --------------------------------------------------------------------------------
PAGE = "# Sampling\n\nSome text.\n\n```python\n" + SAFE_ONLY + "```\n\nMore text.\n"


def test_markdown_findings_are_not_offered_as_fixable(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    lint = invoke("page.md", "--no-cache", cwd=tmp_path)
    assert "RPL112" in lint.output and "[*]" not in lint.output and "fixable" not in lint.output
    as_json = json.loads(invoke("page.md", "--no-cache", "--output-format", "json", cwd=tmp_path).output)
    assert [(f["code"], f["fix"]) for f in as_json] == [("RPL112", None)]
    fixed = invoke("page.md", "--fix", "--no-cache", cwd=tmp_path)
    assert fixed.output.splitlines()[-1] == "Fixed 0, 1 remaining (1 file checked)."
    assert page.read_text() == PAGE


def test_safe_fixes_that_could_not_be_written_are_not_called_unsafe(tmp_path, monkeypatch):
    import reprolint.fix.write as write

    def refuse(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write, "write_atomically", refuse)
    (tmp_path / "full.py").write_text(SAFE_ONLY)
    result = invoke("full.py", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 2
    assert "could not write the fixed file: No space left on device" in result.output
    assert result.output.splitlines()[-1] == (
        "Fixed 0, 1 remaining (1 fix not applied), 1 error (1 file checked).")


def test_unsafe_fixes_left_are_still_counted_as_such(tmp_path):
    (tmp_path / "mixed.py").write_text(MIXED)
    result = invoke("mixed.py", "--fix", "--no-cache", cwd=tmp_path)
    assert result.output.splitlines()[-1] == (
        "Fixed 1, 1 remaining (1 fixable with --unsafe-fixes) (1 file checked).")


def test_a_notebook_cell_that_does_not_parse_is_reported_once_at_its_cell(tmp_path):
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["import torch\n", "g = torch.Generator()\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["x = 1\n", "y = (\n"]},
    ]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                   "nbformat_minor": 5}, indent=1))
    lint = invoke("nb.ipynb", "--no-cache", cwd=tmp_path)
    fixed = invoke("nb.ipynb", "--fix", "--no-cache", cwd=tmp_path)
    errors = [line for line in fixed.output.splitlines() if ": error: " in line]
    assert errors == ["nb.ipynb:cell 2:2:5: error: could not parse: '(' was never closed; the cell was skipped, the other cells were linted"]
    assert errors == [line for line in lint.output.splitlines() if ": error: " in line]
    assert fixed.exit_code == 2


# -- --fix-seed ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["-1", str(2**63), str(2**64)])
def test_fix_seed_out_of_range_is_a_usage_error(tmp_path, seed):
    (tmp_path / "ok.py").write_text(SAFE_ONLY)
    result = invoke("ok.py", "--fix", "--fix-seed", seed, "--no-cache", cwd=tmp_path)
    assert result.exit_code == 2
    assert "--fix-seed" in result.output and "0 to 2**63 - 1" in result.output
    assert (tmp_path / "ok.py").read_text() == SAFE_ONLY


def test_the_largest_fix_seed_is_accepted(tmp_path):
    (tmp_path / "ok.py").write_text(SAFE_ONLY)
    result = invoke("ok.py", "--fix", "--fix-seed", str(2**63 - 1), "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert f"noise_sampler_seed={2**63 - 1}" in (tmp_path / "ok.py").read_text()
