"""Nothing --verify starts outlives it: SIGTERM is handled like Ctrl-C, and the runner ends its
run (and everything the run started) when reprolint dies without cleaning up.

These drive the real runner (server process, forked run in its own process group, a script that
starts a sleeper and sleeps) through real signals. To stay fast, the server skips importing torch
and diffusers (``LIGHT_BOOTSTRAP``): what is tested is process lifetime, not the measurements.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from tests.verify.test_interrupt import _alive

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The server without the seconds of torch imports: the hooks that need torch become no-ops.
LIGHT_BOOTSTRAP = '''
import reprolint.verify.runner as runner
import reprolint.verify.child as child
_real = runner._bootstrap
STUBS = ("import reprolint.verify.child as c; c._preload = lambda: {'python': '3'}; "
         "c._probe_cuda = lambda: {'cuda_available': False, 'cuda_in_fork': True}; "
         "c._seed_process = lambda seed: None; c._install_hooks = lambda request: None; "
         "c._install_device_patches = lambda device, source: None; "
         "c._install_loader_patches = lambda request, used, source: None; c.serve(")
runner._bootstrap = lambda folder="": _real(folder).replace(
    "from reprolint.verify.child import serve; serve(", STUBS)
'''

# Flagged (RPL101: no generator) but it starts a sleeper and sleeps before touching torch.
SLEEPING_SCRIPT = '''\
import json, os, subprocess, sys, time

sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(os.environ["REPROLINT_TEST_STARTED"], "w") as handle:
    json.dump({"sleeper": sleeper.pid, "run": os.getpid(), "server": os.getppid(), "cwd": os.getcwd()}, handle)
time.sleep(600)

import torch
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(num_inference_steps=2).images[0]
'''


def _project(tmp_path):
    project, temp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    temp.mkdir()
    (project / "sleeps.py").write_text(SLEEPING_SCRIPT)
    started = tmp_path / "started.json"  # outside the script's folder, which runs may not write
    environment = {**os.environ, "TMPDIR": str(temp), "REPROLINT_TEST_STARTED": str(started),
                   "PYTHONPATH": str(ROOT)}
    return project, temp, started, environment


def _wait_for(started: pathlib.Path, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 60
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert started.exists(), process.communicate(timeout=30)
    time.sleep(0.3)  # the file is written; let the script reach its sleep
    return json.loads(started.read_text())


def _gone(*pids: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(pid) for pid in pids)


def test_sigterm_during_verify_stops_the_runs_cleans_up_and_reports_what_was_found(tmp_path):
    project, temp, started, environment = _project(tmp_path)
    command = [sys.executable, "-c", LIGHT_BOOTSTRAP + "from reprolint.cli import main; main()",
               "--verify", "--device", "cpu", "--no-cache", "--output-format", "concise", "sleeps.py"]
    process = subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        facts = _wait_for(started, process)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, stderr
    assert "interrupted (SIGTERM): 0 of 1 findings verified" in stderr
    assert "sleeps.py:" in stdout and "RPL101" in stdout  # the partial report is printed
    assert "Traceback" not in stderr
    assert _gone(facts["sleeper"], facts["run"], facts["server"])
    assert list(temp.iterdir()) == []  # the scratch folder is removed


def test_runner_ends_its_run_when_reprolint_is_killed(tmp_path):
    """SIGKILL gives reprolint no chance to clean up: the server sees its parent die
    (PR_SET_PDEATHSIG), kills the run's process group and removes the scratch folder."""
    project, temp, started, environment = _project(tmp_path)
    driver = LIGHT_BOOTSTRAP + f'''
server = runner.Server()
server.start()
server.run({str(project / "sleeps.py")!r}, open({str(project / "sleeps.py")!r}).read(), "cpu", 1, "never", 600)
'''
    process = subprocess.Popen([sys.executable, "-c", driver], cwd=project, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        facts = _wait_for(started, process)
        assert facts["cwd"].startswith(str(temp))
        process.kill()
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert _gone(facts["sleeper"], facts["run"], facts["server"])
    assert _gone_folder(temp)


def _gone_folder(temp: pathlib.Path, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while list(temp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return list(temp.iterdir()) == []


def test_parent_death_signal_is_set_on_linux():
    from reprolint.verify.child import _set_parent_death_signal

    probe = subprocess.run(
        [sys.executable, "-c",
         "import ctypes, signal, sys; sys.path.insert(0, %r);"
         "from reprolint.verify.child import _set_parent_death_signal as s;"
         "assert s(signal.SIGTERM); libc = ctypes.CDLL(None); value = ctypes.c_int();"
         "libc.prctl(2, ctypes.byref(value), 0, 0, 0); print(value.value)" % str(ROOT)],
        capture_output=True, text=True, timeout=30)
    assert probe.returncode == 0, probe.stderr
    assert int(probe.stdout) == signal.SIGTERM  # PR_GET_PDEATHSIG reads it back
    assert callable(_set_parent_death_signal)
