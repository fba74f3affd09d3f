"""The GitHub Action (action.yml) and its script, run as GitHub would run it, without GitHub: the
script gets its inputs as INPUT_* variables and writes its outputs to $GITHUB_OUTPUT."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import jsonschema
import pytest

from tests.conftest import BAD_PIPELINE, reprolint_command

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "github_action.sh"
SARIF_SCHEMA = json.loads((pathlib.Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def run_action(workspace: pathlib.Path, tmp_path: pathlib.Path, path_dirs=None, **inputs):
    outputs = tmp_path / "github_output"
    outputs.write_text("", encoding="utf-8")
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    env = {**os.environ, "GITHUB_OUTPUT": str(outputs), "RUNNER_TEMP": str(runner_temp),
           "GITHUB_ACTION_PATH": str(ROOT), "INPUT_PYTHON": sys.executable}
    env.update({f"INPUT_{key.upper()}": value for key, value in inputs.items()})
    if path_dirs is not None:
        env["PATH"] = os.pathsep.join([*path_dirs, "/usr/bin", "/bin"])
    done = subprocess.run(["bash", str(SCRIPT)], cwd=workspace, env=env, capture_output=True, text=True,
                          timeout=600)
    values = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if "=" in line)
    return done, values


@pytest.fixture
def reprolint_bin(tmp_path):
    """A folder with a `reprolint` that runs this checkout (install: false finds it on PATH)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    command = " ".join(f'"{part}"' for part in reprolint_command())
    (folder / "reprolint").write_text(f"#!/bin/sh\nexec {command} \"$@\"\n", encoding="utf-8")
    (folder / "reprolint").chmod(0o755)
    return folder


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "repo"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "gen.py").write_text(BAD_PIPELINE, encoding="utf-8")
    (folder / "docs").mkdir()
    (folder / "docs" / "good.py").write_text("import torch\n", encoding="utf-8")
    return folder


def test_action_lints_writes_sarif_and_reports_the_exit_code(workspace, tmp_path, reprolint_bin):
    done, outputs = run_action(workspace, tmp_path, [str(reprolint_bin)], src="src docs", install="false",
                               args="--ignore 'RPL301'")
    assert done.returncode == 0, done.stderr  # the script never fails on findings: action.yml does, last
    assert outputs["exit-code"] == "1"
    log = json.loads(pathlib.Path(outputs["sarif-file"]).read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert [result["ruleId"] for result in log["runs"][0]["results"]] == ["RPL101"]
    # Annotations for the pull request, and the findings readable in the log.
    assert re.search(r"^::warning file=src/gen\.py,line=4,.*title=RPL101::", done.stdout, re.M)
    assert "src/gen.py:4:9: RPL101" in done.stdout


def test_action_on_clean_code_exits_0(workspace, tmp_path, reprolint_bin):
    done, outputs = run_action(workspace, tmp_path, [str(reprolint_bin)], src="docs", install="false")
    assert done.returncode == 0, done.stderr
    assert outputs["exit-code"] == "0"
    assert json.loads(pathlib.Path(outputs["sarif-file"]).read_text())["runs"][0]["results"] == []


def test_action_without_reprolint_and_without_install_says_so(workspace, tmp_path):
    done, _ = run_action(workspace, tmp_path, [str(tmp_path / "empty")], install="false")
    assert done.returncode == 2
    assert "::error title=reprolint::install: false, but no reprolint on PATH" in done.stderr


def test_action_yml_runs_the_script_with_the_inputs_it_declares():
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    (lint,) = [step for step in action["runs"]["steps"] if step.get("id") == "lint"]
    assert "scripts/github_action.sh" in lint["run"]
    script = SCRIPT.read_text(encoding="utf-8")
    for name, value in lint["env"].items():
        key = name[len("INPUT_"):].lower().replace("_", "-")
        assert key in action["inputs"] and value == "${{ inputs.%s }}" % key
        assert name in script
    uploads = [step for step in action["runs"]["steps"] if "upload-sarif" in step.get("uses", "")]
    assert uploads and "upload-sarif" in uploads[0]["if"]
    assert action["runs"]["steps"][-1]["run"] == 'exit "${{ steps.lint.outputs.exit-code }}"'
    assert set(action["outputs"]) == {"exit-code", "sarif-file"}


@pytest.mark.slow
def test_action_installs_its_own_revision(workspace, tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    done, outputs = run_action(workspace, tmp_path, None, src="src")
    assert done.returncode == 0, done.stderr[-2000:]
    assert outputs["exit-code"] == "1"
    assert (tmp_path / "runner_temp" / "reprolint-action-venv" / "bin" / "reprolint").exists()
