"""Run instrumented scripts safely: one server subprocess, one forked process per run.

The server (``reprolint.verify.child``) starts in its own session, imports torch and diffusers
once, and forks a fresh process for every run. Each run:

- is its own process group; on timeout the whole group is killed with SIGKILL, and after a run
  ends the group is killed too, so that anything the script forked is not left behind;
- runs in a scratch working folder that mirrors the script's folder (see :func:`mirror_folder`),
  so relative reads resolve while the files it writes land in the scratch folder, never in the
  user's tree (``reprolint.verify.isolation`` guards the links into it; ``.git`` is left out) (``--keep-outputs`` copies them out); stdin is ``/dev/null``, stdout and stderr
  are captured to files (shown with ``--verbose``);
- inherits reprolint's environment, with ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1``
  set unless downloads are allowed, and ``PYTHONHASHSEED`` left as it is (except in the runs
  that compare two hash seeds, which start as fresh interpreters with one each).

A script that exits, raises or hangs yields a :class:`RunResult`, never an exception here.
All temporary files live under one folder that :meth:`Server.close` removes.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

import reprolint
from reprolint.verify.isolation import VCS_FOLDERS, protected_roots
from reprolint.verify.trace import load_trace


class ServerError(Exception):
    """The verify server could not start or died; the message says why."""


@dataclass
class RunResult:
    status: str  # "ok", "error", "timeout", "skipped"
    error: Optional[str] = None
    traceback: Optional[str] = None
    captures: dict = field(default_factory=dict)  # capture id -> [ {name: (array, is_image)} ]
    stand_ins: list = field(default_factory=list)
    error_lines: list = field(default_factory=list)  # the script's lines in the error's traceback
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    flags: dict = field(default_factory=dict)  # the determinism settings in force when it ended
    trace: list = field(default_factory=list)  # reprolint.verify.trace: what its outputs are made of
    # A resumed run's: the optimizer step of the checkpoint it resumed from (saved_at), whether
    # an optimizer loaded it (resumed).
    details: dict = field(default_factory=dict)


def child_environment(allow_download: bool) -> dict:
    env = dict(os.environ)
    if not allow_download:
        env["HF_HUB_OFFLINE"] = "1"
        env["TRANSFORMERS_OFFLINE"] = "1"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    return env


def _bootstrap(folder: str = "") -> str:
    """The server's program: it must import *this* reprolint, whatever the current folder
    holds; it ends (killing its run and removing ``folder``) when this process dies."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(reprolint.__file__)))
    return (f"import sys; sys.path.insert(0, {package_root!r}); "
            f"from reprolint.verify.child import serve; serve({os.getpid()}, {folder!r})")


@contextlib.contextmanager
def _interrupts_ignored():
    """Neither a second Ctrl-C nor a second SIGTERM may stop the cleanup half-way."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change signal handlers
        return
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_file(path: str, limit: int = 200_000) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return ""


# Mirroring the script's folder: small files are copied (a run that overwrites one changes only
# its copy), large ones (checkpoints, data sets) cloned copy-on-write where the file system can,
# else linked; folders are recreated down to a depth, deeper ones and tool folders linked whole.
# A run's Python writes through a link copy it up first (reprolint.verify.isolation). The budgets
# bound the cost of each run's mirror.
MIRROR_COPY_LIMIT = 1 << 20  # bytes per file
MIRROR_COPY_BUDGET = 32 << 20  # bytes per mirror
MIRROR_MAX_DEPTH = 3
MIRROR_MAX_ENTRIES = 5000
MIRROR_LINKED_FOLDERS = {".venv", "venv", "node_modules", ".reprolint_cache",
                         "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"}
# Never in the mirror: a run that commits must not reach the user's repository.
MIRROR_LEFT_OUT = set(VCS_FOLDERS)
FICLONE = 0x40049409  # Linux ioctl: a copy-on-write clone of a whole file (btrfs, XFS, ...)


def reflink(source: str, target: str) -> bool:
    """Clone ``source`` to ``target`` copy-on-write; False where the file system cannot."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        with open(source, "rb") as reading, open(target, "wb") as writing:
            fcntl.ioctl(writing.fileno(), FICLONE, reading.fileno())
        shutil.copystat(source, target)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(target)
        return False


def mirror_folder(source: str, target: str) -> dict:
    """Recreate ``source`` under ``target`` for a run; returns what the mirror holds, as
    {relative path: (size, mtime_ns)} of its copied files, so that the run's outputs (new or
    changed files) can be told apart afterwards."""
    copied: dict = {}
    budget = [MIRROR_COPY_BUDGET, MIRROR_MAX_ENTRIES]

    def link(path: str, where: str) -> None:
        try:
            os.symlink(path, where)
        except OSError:
            pass

    def walk(folder: str, into: str, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            if entry.name in MIRROR_LEFT_OUT:
                continue
            where = os.path.join(into, entry.name)
            budget[1] -= 1
            try:
                if entry.is_symlink():
                    # The same link where it stays inside the folder; else to the same target.
                    target_path = os.readlink(entry.path)
                    resolved = os.path.realpath(entry.path)
                    inside = os.path.commonpath([resolved, root]) == root
                    link(target_path if inside and not os.path.isabs(target_path) else resolved, where)
                elif entry.is_dir():
                    if depth >= MIRROR_MAX_DEPTH or budget[1] <= 0 or entry.name in MIRROR_LINKED_FOLDERS:
                        link(entry.path, where)
                    else:
                        os.mkdir(where)
                        walk(entry.path, where, depth + 1)
                elif entry.is_file():
                    size = entry.stat().st_size
                    if size <= MIRROR_COPY_LIMIT and size <= budget[0] and budget[1] > 0:
                        shutil.copy2(entry.path, where)
                        budget[0] -= size
                        stat = os.stat(where)
                        copied[os.path.relpath(where, target)] = (stat.st_size, stat.st_mtime_ns)
                    elif reflink(entry.path, where):
                        stat = os.stat(where)
                        copied[os.path.relpath(where, target)] = (stat.st_size, stat.st_mtime_ns)
                    else:
                        link(entry.path, where)  # written through only by copy-up: see isolation.py
            except OSError:
                continue  # unreadable: the run meets it as missing, as it would meet it unreadable

    root = os.path.realpath(source)
    os.makedirs(target, exist_ok=True)
    walk(source, target, 0)
    return copied


def collect_outputs(workdir: str, mirrored: dict, destination: str) -> list:
    """Copy the files a run created or changed in its scratch folder to ``destination``."""
    kept = []
    for folder, dirs, files in os.walk(workdir):  # os.walk does not enter linked folders
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, workdir)
            if os.path.islink(path):
                continue
            try:
                stat = os.stat(path)
            except OSError:
                continue
            if mirrored.get(relative) == (stat.st_size, stat.st_mtime_ns):
                continue
            target = os.path.join(destination, relative)
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(path, target)
                kept.append(relative)
            except OSError:
                continue
    return sorted(kept)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def load_captures(folder: str) -> dict:
    import numpy as np

    captures: dict = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        capture_id, occurrence = (int(part) for part in name[:-5].split("_"))
        with open(os.path.join(folder, name)) as handle:
            meta = json.load(handle)
        with np.load(os.path.join(folder, name[:-5] + ".npz")) as arrays:
            values = {meta["names"][i]: (arrays[f"a{i}"], meta["images"][i]) for i in range(len(meta["names"]))}
        captures.setdefault(capture_id, {})[occurrence] = values
    return {cid: [by_index[i] for i in sorted(by_index)] for cid, by_index in captures.items()}


class Server:
    """The verify server subprocess; use as a context manager."""

    def __init__(self, allow_download: bool = False, startup_timeout: float = 300.0) -> None:
        self.allow_download = allow_download
        self.startup_timeout = startup_timeout
        self.folder = tempfile.mkdtemp(prefix="reprolint-verify-")
        self.process: Optional[subprocess.Popen] = None
        self.info: dict = {}
        self._buffer = b""
        self._ended = False  # the server closed its end of the protocol: it is gone
        self._runs = 0
        self._current_group: Optional[int] = None  # the process group of the run in progress
        # Devices whose runs start as fresh interpreters instead of forks of the server.
        self.spawn_devices: set = set()

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> dict:
        self.server_log = os.path.join(self.folder, "server.log")
        with open(self.server_log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _bootstrap(self.folder)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                env=child_environment(self.allow_download), cwd=self.folder,
                start_new_session=True,
            )
        message = self._receive(time.monotonic() + self.startup_timeout)
        if message is None or "hello" not in message:
            raise ServerError("the verify server did not start: " + self._tail_log())
        self.info = message["hello"]
        if not self.info.get("cuda_in_fork", False):
            self.spawn_devices.add("cuda")
        if "import_error" in self.info:
            raise ServerError(f"--verify needs torch and numpy: {self.info['import_error']} "
                              '(install them with `pip install "reprolint-torch[verify]"`)')
        return self.info

    def _tail_log(self) -> str:
        lines = _read_file(self.server_log).strip().splitlines()
        return lines[-1] if lines else "no output"

    def _receive(self, deadline: float) -> Optional[dict]:
        """The next protocol line, or None at the deadline or when the server is gone."""
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._ended = True
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def run(self, script: str, source: str, device: str, seed: int, stand_in: str,
            timeout: float, arguments: tuple = (), keep_outputs: Optional[str] = None,
            train_steps: int = 0, hash_seed: Optional[int] = None, resume: Optional[dict] = None,
            record_from: int = 0) -> RunResult:
        """Run ``source`` (an instrumented copy of ``script``) once in a fresh process, in a
        scratch folder that mirrors the script's; ``arguments`` follow the script's name in
        ``sys.argv``; ``keep_outputs``: a folder to copy the files the run wrote to;
        ``train_steps``: stop the script after that many optimizer steps (0: never);
        ``hash_seed``: run as a fresh interpreter with this PYTHONHASHSEED (a fork keeps the
        server's); ``resume``: first run the script until it has trained ``resume["steps"]``
        optimizer steps and checkpointed (at most ``resume["max_steps"]``), then run it again in
        the same folder, restoring the random states of that checkpoint where ``resume["restore"]``;
        ``record_from``: record the losses from that optimizer step on."""
        if not self.alive:
            raise ServerError("the verify server is not running: " + self._tail_log())
        self._runs += 1
        folder = os.path.join(self.folder, f"run{self._runs}")
        capture_dir = os.path.join(folder, "captures")
        os.makedirs(capture_dir)
        script = os.path.abspath(script)
        workdir = os.path.join(folder, "work")
        mirrored = mirror_folder(os.path.dirname(script), workdir)
        request = {
            "script": script,
            "workdir": workdir,
            "protected": protected_roots(script),
            "argv": [os.path.join(workdir, os.path.basename(script)), *arguments],
            "source_path": os.path.join(folder, "instrumented.py"),
            "capture_dir": capture_dir,
            "stdout_path": os.path.join(folder, "stdout"),
            "stderr_path": os.path.join(folder, "stderr"),
            "result_path": os.path.join(folder, "result.json"),
            "device": device,
            "seed": seed,
            "stand_in": stand_in,
            "train_steps": train_steps,
            "record_from": record_from,
        }
        if resume:
            request["resume"] = dict(resume)
        with open(request["source_path"], "w", encoding="utf-8") as handle:
            handle.write(source)
        started = time.monotonic()
        try:
            if device in self.spawn_devices or hash_seed is not None:
                finished, timed_out = self._spawn(request, folder, timeout, hash_seed)
            else:
                finished, timed_out = self._fork(request, timeout)
        finally:
            if keep_outputs:
                collect_outputs(workdir, mirrored, keep_outputs)
        seconds = time.monotonic() - started
        result = RunResult(status="error", seconds=seconds,
                           stdout=_read_file(request["stdout_path"]),
                           stderr=_read_file(request["stderr_path"]))
        if timed_out:
            result.status = "timeout"
            result.error = f"timed out after {timeout:g} s (--verify-timeout); the run was killed"
        elif os.path.exists(request["result_path"]):
            with open(request["result_path"]) as handle:
                outcome = json.load(handle)
            result.status = outcome["status"]
            result.error = outcome.get("error")
            result.traceback = outcome.get("traceback")
            result.error_lines = outcome.get("error_lines", [])
            result.stand_ins = outcome.get("stand_ins", [])
            result.flags = outcome.get("flags", {})
            result.details = outcome.get("details", {})
            last_line = result.stderr.strip().splitlines()[-1].strip() if result.stderr.strip() else ""
            if result.error and result.error.startswith("the script exited") and "error" in last_line.lower():
                # argparse and friends say why on stderr: `prog: error: the following arguments ...`
                result.error += ": " + last_line
        else:
            code = finished.get("exit")
            how = f"was killed by signal {-code}" if isinstance(code, int) and code < 0 else f"exited with status {code}"
            result.error = f"the script's process {how} before reporting (os._exit or a crash)"
        try:
            result.captures = load_captures(capture_dir)
        except Exception as exc:  # a half-written capture of a killed run
            result.captures = {}
            result.stderr += f"\nreprolint: could not read the captured outputs: {exc}"
        try:
            result.trace = load_trace(folder)
        except Exception as exc:  # a half-written record of a killed run: no first difference
            result.stderr += f"\nreprolint: could not read the run's trace: {exc}"
        shutil.rmtree(folder, ignore_errors=True)
        return result

    def _fork(self, request: dict, timeout: float) -> tuple:
        """Have the server fork the run; returns (the exit message, whether it timed out)."""
        started = time.monotonic()
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        hello = self._receive(started + 60)
        if hello is None or "pid" not in hello:
            raise ServerError("the verify server stopped answering: " + self._tail_log())
        pid = hello["pid"]
        self._current_group = pid
        finished = self._receive(started + timeout)
        timed_out = finished is None
        # The run leads its own process group: kill it whole, also after a normal end, so that
        # whatever the script started in the background goes with it.
        kill_group(pid)
        self._current_group = None
        if finished is None and self._ended:
            raise ServerError(self._death_during_run())
        if timed_out:
            finished = self._receive(time.monotonic() + 30)
            if finished is None and self._ended:
                raise ServerError(self._death_during_run())
            if finished is None:
                raise ServerError("the verify server did not reap a timed-out run")
        return finished, timed_out

    def _death_during_run(self) -> str:
        """What to say when the server died while a run was in progress."""
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            how = "(it closed its channel)"
        else:
            how = f"with {_signal_name(-code)}" if code < 0 else f"(it exited with status {code})"
        return (f"reprolint's verify runner (the parent process of the run) died during the run {how}: "
                "something the script ran killed it (a script that signals its parent cannot be verified)")

    def _spawn(self, request: dict, folder: str, timeout: float, hash_seed: Optional[int] = None) -> tuple:
        """Start the run as a fresh interpreter (CUDA cannot be used in a forked process once
        the server touched it), with the same process-group rules."""
        request_path = os.path.join(folder, "request.json")
        with open(request_path, "w") as handle:
            json.dump(request, handle)
        code = _bootstrap().split("; from ")[0] + (
            f"; from reprolint.verify.child import run_once; run_once({request_path!r})")
        environment = child_environment(self.allow_download)
        if hash_seed is not None:
            environment["PYTHONHASHSEED"] = str(hash_seed)
        process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=environment,
                                   cwd=request["workdir"], start_new_session=True)
        self._current_group = process.pid
        try:
            process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        kill_group(process.pid)
        self._current_group = None
        code = process.wait()
        return {"exit": code}, timed_out

    def close(self) -> None:
        # A second Ctrl-C while cleaning up must not leave the runs or the temporary files behind.
        with _interrupts_ignored():
            self._close()

    def _close(self) -> None:
        if self._current_group is not None:  # interrupted mid-run (Ctrl-C): the run goes too
            kill_group(self._current_group)
            self._current_group = None
        if self.process is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            kill_group(self.process.pid)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.process.stdout.close()
            self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)
