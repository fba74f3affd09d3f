"""Shared fixtures for the --verify tests: one runner server for the whole session, and the
verdicts of every script in tests/verify_scripts/ computed once (copies, in a temporary folder).
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil

import pytest

from reprolint.settings import Settings

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent / "verify_scripts"
# Scripts the shared run leaves out: they need their own options (a short timeout).
# train_bilinear_deterministic.py and train_resume.py: checked by their own tests (one rule each).
SEPARATE = {"waits_for_gpu.py", "sd_batch_one_generator.py",  # the latter: RPL108 is opt-in
            "train_bilinear_deterministic.py", "train_resume.py"}


def _digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def verify_server():
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from reprolint.verify.runner import Server

    with Server() as server:
        yield server


def verify_paths(paths, server, settings=None, **options):
    """Lint ``paths`` (with ``settings``, default ones if None) and verify the findings;
    returns {file name: [finding, ...]}."""
    from reprolint.engine import Linter
    from reprolint.verify import VerifyOptions, verify_run

    run = Linter(settings).lint_paths([str(p) for p in paths])
    assert not run.errors, run.errors
    verify_run(run, VerifyOptions(use_cache=False, **options), server=server)
    by_file: dict = {}
    for finding in run.findings:
        by_file.setdefault(pathlib.Path(finding.path).name, []).append(finding)
    return by_file


@pytest.fixture(scope="session")
def verified(tmp_path_factory, verify_server):
    """Every shared script verified once on the CPU: (findings by file, folder, digests before).
    The files the runs wrote are kept in ``<folder>-outputs/``."""
    folder = tmp_path_factory.mktemp("verify_scripts")
    for script in SCRIPTS.glob("*.py"):
        if script.name not in SEPARATE:
            shutil.copy(script, folder / script.name)
    before = {p.name: _digest(p) for p in folder.glob("*.py")}
    progress: list = []
    # What the scripts write lands in a scratch folder; kept here for the tests that read it.
    # RPL308 (GPU inference without determinism setup, off by default) too: its same-seed runs.
    findings = verify_paths([folder], verify_server, Settings(extend_select=("RPL308",)), timeout=120,
                            devices=("cpu",), progress=progress.append,
                            keep_outputs=str(folder.parent / (folder.name + "-outputs")))
    findings["progress"] = progress
    return findings, folder, before


def verdict(verified, name: str, code: str, index: int = 0) -> dict:
    findings, _, _ = verified
    matching = [f for f in findings[name] if f.code == code]
    return matching[index].extra["verification"]
