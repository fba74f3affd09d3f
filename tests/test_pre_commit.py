"""The real pre-commit, in a temporary git repository, using this repository as its hook repo.

Slow (pre-commit builds a virtualenv and pip-installs reprolint into it), but it is the only way
to know that ``.pre-commit-hooks.yaml`` works as users will run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BAD_PIPELINE

ROOT = Path(__file__).resolve().parent.parent
COPY_IGNORED = shutil.ignore_patterns(".git", ".venv*", "venv", "__pycache__", "*.egg-info", "build",
                                      "dist", ".pytest_cache", ".reprolint_cache")
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd, *args, env=None, check=True):
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=check)


def pre_commit_command() -> list:
    exe = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "pre_commit"]


def hook_repository(destination: Path, env) -> str:
    """A git repository holding this working tree as it is now (uncommitted changes included),
    so the test checks the hooks file and code being developed, not the last commit."""
    shutil.copytree(ROOT, destination, ignore=COPY_IGNORED)
    git(destination, "init", "-q", env=env)
    git(destination, "add", "-A", env=env)
    git(destination, "commit", "-q", "-m", "hook repo", env=env)
    return git(destination, "rev-parse", "HEAD", env=env).stdout.strip()


def commit(project: Path, env, message: str) -> subprocess.CompletedProcess:
    git(project, "add", "-A", env=env)
    return git(project, "commit", "-m", message, env=env, check=False)


@pytest.mark.slow
def test_pre_commit_blocks_findings_and_passes_clean_and_non_python_commits(tmp_path):
    pytest.importorskip("pre_commit")
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    rev = hook_repository(tmp_path / "hooks", env)

    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", env=env)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {tmp_path / 'hooks'}\n  rev: {rev}\n  hooks:\n  - id: reprolint\n")
    git(project, "add", ".pre-commit-config.yaml", env=env)
    git(project, "commit", "-q", "-m", "config", env=env)
    install = subprocess.run(pre_commit_command() + ["install"], cwd=project, env=env,
                             capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stdout + install.stderr

    # 1. A flagged file (and a flagged notebook) blocks the commit, with the findings printed.
    (project / "generate.py").write_text(BAD_PIPELINE)
    (project / "explore.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": BAD_PIPELINE.splitlines(keepends=True)}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    blocked = commit(project, env, "flagged")
    printed = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, printed
    assert "generate.py:4:9: RPL101 pipeline call without `generator=`" in printed
    assert "explore.ipynb:cell 1:4:9: RPL101" in printed
    assert git(project, "log", "--format=%s", env=env).stdout.split() == ["config"]

    # 2. The same commit, fixed, passes.
    (project / "generate.py").write_text(BAD_PIPELINE.replace(
        '("a photo of a cat")', '("a photo of a cat", generator=torch.Generator("cpu").manual_seed(0))'
    ).replace("from diffusers", "import torch\nfrom diffusers"))
    (project / "explore.ipynb").unlink()
    clean = commit(project, env, "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "reprolint" in clean.stdout + clean.stderr and "Passed" in clean.stdout + clean.stderr

    # 3. A commit without Python files passes; the hook is not even run.
    (project / "notes.txt").write_text("pipe('a cat')\n")
    text_only = commit(project, env, "notes")
    assert text_only.returncode == 0, text_only.stdout + text_only.stderr
    assert "(no files to check)Skipped" in text_only.stdout + text_only.stderr
    assert git(project, "log", "--format=%s", env=env).stdout.split() == ["notes", "clean", "config"]


def test_hooks_file_and_readme_snippets_agree():
    yaml = pytest.importorskip("yaml")  # installed with pre-commit
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    lint_hook = next(hook for hook in hooks if hook["id"] == "reprolint")
    assert lint_hook["types_or"] == ["python", "jupyter"] and lint_hook["require_serial"] is False
    assert "--force-exclude" in lint_hook["entry"]
    import re

    snippets = [yaml.safe_load(block) for block in
                re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)]
    config = next(s for s in snippets if "repos" in s)
    assert {hook["id"] for repo in config["repos"] for hook in repo["hooks"]} <= {h["id"] for h in hooks}
    workflows = [s["jobs"]["reprolint"]["steps"] for s in snippets if "jobs" in s]
    # The repository's own action (action.yml), then the same job written out step by step.
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    (uses_action,) = [steps for steps in workflows if any(step.get("uses", "").startswith("reprolint/reprolint@")
                                                          for step in steps)]
    with_inputs = next(step["with"] for step in uses_action if step.get("uses", "").startswith("reprolint/"))
    assert set(with_inputs) <= set(action["inputs"])
    (manual,) = [steps for steps in workflows if steps is not uses_action]
    assert any("--output-format sarif" in step.get("run", "") for step in manual)
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif") for step in manual)
