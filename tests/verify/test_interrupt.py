"""Ctrl-C during --verify and the child's environment, through the real command line."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import reprolint_command

# Forks a sleeper (a grandchild of reprolint), says so, then sleeps: only Ctrl-C ends the run.
SLEEPING_SCRIPT = '''\
import json, os, subprocess, sys, time

import torch
from diffusers import DDPMPipeline

sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
# An absolute path: the run's working folder is a scratch copy of the script's.
with open(os.environ["REPROLINT_TEST_STARTED"], "w") as handle:
    json.dump({"sleeper": sleeper.pid, "run": os.getpid(),
               "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE"),
               "TRANSFORMERS_OFFLINE": os.environ.get("TRANSFORMERS_OFFLINE")}, handle)
time.sleep(600)
pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(num_inference_steps=2).images[0]
'''


def _alive(pid: int) -> bool:
    stat = pathlib.Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _processes_inside(folder: pathlib.Path) -> list:
    """Processes whose working directory is under ``folder`` (the verify server's is)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd").startswith(str(folder)) and _alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_during_verify_kills_the_runs_removes_temp_files_and_exits_130(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    project, temp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    temp.mkdir()
    (project / "sleeps.py").write_text(SLEEPING_SCRIPT)
    started = tmp_path / "started.json"  # outside the project: runs may not write into it
    environment = {**os.environ, "TMPDIR": str(temp), "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0",
                   "REPROLINT_TEST_STARTED": str(started)}
    command = reprolint_command() + ["--verify", "--device", "cpu", "--no-cache", "--output-format", "concise",
                                     "sleeps.py"]
    process = subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert started.exists(), process.communicate(timeout=30)
        time.sleep(0.5)  # the file is written; let the script reach its sleep
        facts = json.loads(started.read_text())
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted (Ctrl-C): 0 of 1 findings verified" in stderr
    assert "sleeps.py:" in stdout and "RPL101" in stdout  # what was found is still reported
    assert "Traceback" not in stderr
    assert not _alive(facts["sleeper"]) and not _alive(facts["run"])
    assert _processes_inside(temp) == []  # the verify server is gone too
    assert list(temp.iterdir()) == []  # and its temporary folder
    # Set for the child although reprolint's own environment says otherwise.
    assert (facts["HF_HUB_OFFLINE"], facts["TRANSFORMERS_OFFLINE"]) == ("1", "1")


def test_child_environment_is_reprolints_with_offline_switches():
    from reprolint.verify.runner import child_environment

    offline = child_environment(allow_download=False)
    assert offline["HF_HUB_OFFLINE"] == offline["TRANSFORMERS_OFFLINE"] == "1"
    assert offline["PATH"] == os.environ["PATH"]  # everything else is inherited
    online = child_environment(allow_download=True)
    assert online.get("HF_HUB_OFFLINE") == os.environ.get("HF_HUB_OFFLINE")
    assert online.get("TRANSFORMERS_OFFLINE") == os.environ.get("TRANSFORMERS_OFFLINE")
