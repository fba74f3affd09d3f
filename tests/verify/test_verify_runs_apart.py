"""Issue 13's --verify items: a scratch working folder (nothing lands in the user's tree,
``--keep-outputs`` keeps it), script arguments, cached verdicts that say so, and a script that
kills its parent process."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

from tests.conftest import reprolint_command
from tests.verify.conftest import verify_paths

pytestmark = pytest.mark.slow

# Reads a file next to it by a relative path and through __file__, saves images by both, writes
# into a subfolder that exists and one it creates, and overwrites a file that was already there.
SAVES_OUTPUTS = '''\
"""Sample, save the image as real scripts do."""
import os

from diffusers import DDPMPipeline

HERE = os.path.dirname(os.path.abspath(__file__))
with open("prompt.txt") as handle:
    prompt = handle.read().strip()
with open(os.path.join(HERE, "data", "steps.txt")) as handle:
    steps = int(handle.read())
pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(num_inference_steps=steps).images[0]
image.save("sample.png")
image.save(os.path.join(HERE, "next_to_me.png"))
os.makedirs("outputs", exist_ok=True)
image.save("outputs/again.png")
with open("data/log.txt", "a") as handle:
    handle.write(prompt + "\\n")
with open("existing.txt", "w") as handle:
    handle.write("overwritten by the script")
'''


def _tree(folder: pathlib.Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _project(tmp_path: pathlib.Path) -> pathlib.Path:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "saves.py").write_text(SAVES_OUTPUTS)
    (project / "prompt.txt").write_text("a red barn\n")
    (project / "data" / "steps.txt").write_text("2")
    (project / "data" / "log.txt").write_text("")
    (project / "existing.txt").write_text("the user's own file")
    return project


def test_a_verified_script_writes_nothing_into_the_users_tree(tmp_path, verify_server):
    project = _project(tmp_path)
    before = _tree(project)
    findings = verify_paths([project / "saves.py"], verify_server, timeout=120, devices=("cpu",))
    result = findings["saves.py"][0].extra["verification"]
    # The relative and __file__-relative reads resolved: the script ran to the end.
    assert result["status"] == "confirmed", result["summary"]
    assert _tree(project) == before


def test_keep_outputs_keeps_each_runs_files(tmp_path, verify_server):
    project = _project(tmp_path)
    before = _tree(project)
    kept = tmp_path / "kept"
    findings = verify_paths([project / "saves.py"], verify_server, timeout=120, devices=("cpu",),
                            keep_outputs=str(kept))
    assert findings["saves.py"][0].extra["verification"]["status"] == "confirmed"
    assert _tree(project) == before
    runs = sorted(p.name for p in (kept / "saves").iterdir())
    # Two runs of the script as written, two of the fixed copy.
    assert runs == ["cpu-fixed-run1", "cpu-fixed-run2", "cpu-original-run1", "cpu-original-run2"]
    first = kept / "saves" / "cpu-original-run1"
    files = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    # What the run created or changed, not what it only read.
    assert files == ["data/log.txt", "existing.txt", "next_to_me.png", "outputs/again.png", "sample.png"]
    assert (first / "data" / "log.txt").read_text() == "a red barn\n"
    assert (first / "existing.txt").read_text() == "overwritten by the script"


ARGUMENTS = '''\
"""A command-line script: the steps and the output name come from its arguments."""
import argparse

from diffusers import DDPMPipeline

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--out", default="out.png")
args = parser.parse_args()
pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(num_inference_steps=args.steps).images[0]
image.save(args.out)
'''


def test_script_arguments_are_passed(tmp_path, verify_server):
    (tmp_path / "cli.py").write_text(ARGUMENTS)
    findings = verify_paths([tmp_path / "cli.py"], verify_server, timeout=120, devices=("cpu",),
                            script_args=("--steps", "2"))
    result = findings["cli.py"][0].extra["verification"]
    assert result["status"] == "confirmed", result["summary"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli.py"]


def test_script_arguments_after_a_double_dash_and_from_the_configuration(tmp_path):
    (tmp_path / "cli.py").write_text(ARGUMENTS)
    (tmp_path / "other.py").write_text(ARGUMENTS)
    command = reprolint_command() + ["--verify", "--device", "cpu", "--no-cache"]
    kept = tmp_path.parent / (tmp_path.name + "-kept")
    result = subprocess.run(command + ["cli.py", "--keep-outputs", str(kept), "--", "--steps", "2", "--out",
                                       "x.png"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "verify: drift confirmed on cpu" in result.stdout, result.stdout
    assert "no such file" not in result.stdout + result.stderr  # `--steps` is not taken for a path
    # --keep-outputs from the command line: `--out x.png` reached the script, which saved it.
    assert (kept / "cli" / "cpu-original-run1" / "x.png").is_file()
    assert result.stderr.rstrip().endswith(f"verify: the scripts' output files are in {kept}")

    (tmp_path / "pyproject.toml").write_text(
        '[tool.reprolint.verify-args]\n"cli.py" = ["--steps", "2"]\n')
    result = subprocess.run(command + ["cli.py", "other.py", "--output-format", "json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    verdicts = {pathlib.Path(f["filename"]).name: f["verification"]["summary"]
                for f in json.loads(result.stdout)}
    assert verdicts["cli.py"].startswith("drift confirmed on cpu"), verdicts
    # other.py has no arguments in the configuration: argparse says what it misses.
    assert verdicts["other.py"] == ("error: the script exited with sys.exit(2): other.py: error: the "
                                    "following arguments are required: --steps")


def test_a_bad_verify_args_setting_is_a_configuration_error(tmp_path):
    (tmp_path / "cli.py").write_text(ARGUMENTS)
    (tmp_path / "pyproject.toml").write_text('[tool.reprolint.verify-args]\n"cli.py" = "--steps 2"\n')
    result = subprocess.run(reprolint_command() + ["cli.py"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "bad value for `verify-args`" in result.stderr and "cli.py" in result.stderr


def test_a_double_dash_without_verify_keeps_its_meaning(tmp_path):
    (tmp_path / "-odd.py").write_text("import torch\n")
    result = subprocess.run(reprolint_command() + ["--", "-odd.py"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


UNSEEDED = '''\
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(num_inference_steps=2).images[0]
'''


KILLS_PARENT = '''\
import os
import signal

from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
try:
    os.kill(os.getppid(), signal.SIGKILL)
except Exception:
    pass  # a script's own `except Exception` does not hide the refusal
image = pipe(num_inference_steps=2).images[0]
'''

# The same, through a program the script runs: reprolint cannot refuse that one.
KILLS_PARENT_FROM_A_SHELL = '''\
import os
import subprocess

from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
subprocess.run(["kill", "-KILL", str(os.getppid())])
image = pipe(num_inference_steps=2).images[0]
'''


def _verify_with_own_runner(folder):
    from reprolint.engine import Linter
    from reprolint.verify import VerifyOptions, verify_run

    run = Linter().lint_paths([str(folder)])
    verify_run(run, VerifyOptions(use_cache=False, devices=("cpu",), timeout=120))
    return {pathlib.Path(f.path).name: f.extra["verification"] for f in run.findings}


def test_signals_to_the_parent_are_refused_and_a_killed_runner_is_reported_and_restarted(tmp_path):
    pytest.importorskip("diffusers")
    (tmp_path / "a_kills.py").write_text(KILLS_PARENT)
    (tmp_path / "b_kills_from_a_shell.py").write_text(KILLS_PARENT_FROM_A_SHELL)
    (tmp_path / "c_fine.py").write_text(UNSEEDED)
    verdicts = _verify_with_own_runner(tmp_path)
    assert verdicts["a_kills.py"]["status"] == "error"
    assert verdicts["a_kills.py"]["summary"] == (
        "error: the script sent SIGKILL to its parent process (reprolint's verify runner) at line 8; "
        "reprolint refused it: a script that signals its parent cannot be verified (stand-in model)")
    assert verdicts["b_kills_from_a_shell.py"]["status"] == "error"
    assert verdicts["b_kills_from_a_shell.py"]["summary"] == (
        "error: reprolint's verify runner (the parent process of the run) died during the run with "
        "SIGKILL: something the script ran killed it (a script that signals its parent cannot be verified)")
    # The runner is started again for the next file.
    assert verdicts["c_fine.py"]["status"] == "confirmed", verdicts["c_fine.py"]["summary"]
