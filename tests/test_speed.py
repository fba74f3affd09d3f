"""--jobs, the content-hash cache, `reprolint clean` and the progress bar."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import subprocess

import libcst
import pytest

from reprolint import cache as cache_module
from reprolint.cache import Cache, settings_fingerprint
from reprolint.engine import Linter
from reprolint.parallel import Progress
from reprolint.settings import Settings
from tests.conftest import reprolint_command, run_cli

ROOT = pathlib.Path(__file__).resolve().parent.parent

UNSEEDED = 'import torch\ng = torch.Generator()\nx = torch.randn((2, 2), generator=g)\n'
SEEDED = 'import torch\ng = torch.Generator().manual_seed(0)\nx = torch.randn((2, 2), generator=g)\n'
PIPELINE = ('from diffusers import DDPMPipeline\npipe = DDPMPipeline.from_pretrained("m")\n'
            'image = pipe().images[0]\n')


@pytest.fixture
def tree(tmp_path):
    """A small project: a few findings, a syntax error, a non-UTF-8 file, files with nothing."""
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "unseeded.py").write_text(UNSEEDED)
    (project / "pkg" / "pipeline.py").write_text(PIPELINE)
    (project / "pkg" / "broken.py").write_text("import torch\ndef f(:\n    torch.Generator()\n")
    (project / "pkg" / "latin1.py").write_bytes(b"x = '\xe9'\n")
    for index in range(12):
        (project / "pkg" / f"plain_{index:02d}.py").write_text(f"value = {index}\n")
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": code}
             for code in ("import torch\n", "%pip install torch\n", UNSEEDED)]
    (project / "pkg" / "notebook.ipynb").write_text(json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return project


@pytest.fixture
def parse_counter(monkeypatch):
    """Counts libcst parses in this process (the engine parses through libcst.parse_module)."""
    calls = []
    original = libcst.parse_module

    def counting(source, *args, **kwargs):
        calls.append(source)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", counting)
    return calls


def _render(run) -> list:
    return [(r.path, [(f.code, f.start, f.end, f.message) for f in r.findings],
             [(e.message, e.line, e.column) for e in r.errors]) for r in run.files]


# ---------------------------------------------------------------------- --jobs

def test_jobs_1_and_jobs_2_give_byte_identical_output(tree):
    shutil.copytree(ROOT / "examples", tree / "examples")
    one = run_cli("--no-cache", "--jobs", "1", ".", cwd=tree)
    two = run_cli("--no-cache", "--jobs", "2", ".", cwd=tree)
    assert one.returncode == two.returncode == 2  # findings and a parse error
    assert one.stdout == two.stdout
    assert "RPL107" in one.stdout and "RPL101" in one.stdout and "could not parse" in one.stdout
    assert "notebook.ipynb:cell 3:3:" in one.stdout
    assert one.stderr == two.stderr == ""  # not a TTY: no progress bar


def test_pool_gives_the_in_process_findings(tree, monkeypatch):
    monkeypatch.chdir(tree)
    settings = Settings(select=("ALL",))
    plain = Linter(settings).lint_paths(["."])
    pooled = Linter(settings).lint_paths(["."], jobs=3)
    assert _render(plain) == _render(pooled)
    assert pooled.checked == plain.checked > 15


# ---------------------------------------------------------------------- cache

def _entries(directory) -> list:
    return sorted(pathlib.Path(directory).rglob("*.json"))


def test_warm_run_parses_nothing_and_reports_the_same(tree, monkeypatch, parse_counter):
    monkeypatch.chdir(tree)
    store = Cache.for_settings(str(tree / "cache"), Settings())
    cold = Linter().lint_paths(["."], cache=store)
    assert parse_counter and _entries(tree / "cache")
    parse_counter.clear()
    warm = Linter().lint_paths(["."], cache=store)
    assert parse_counter == []
    assert _render(warm) == _render(cold)
    assert [f.extra.get("cell") for f in warm.findings if f.path.endswith(".ipynb")] == [3]
    assert (tree / "cache" / ".gitignore").read_text() == "*\n"


def test_a_changed_file_is_linted_again_and_only_it(tree, monkeypatch, parse_counter):
    monkeypatch.chdir(tree)
    store = Cache.for_settings(str(tree / "cache"), Settings())
    before = Linter().lint_paths(["."], cache=store)
    assert any(f.code == "RPL107" and "unseeded" in f.path for f in before.findings)
    (tree / "pkg" / "unseeded.py").write_text(SEEDED)
    parse_counter.clear()
    after = Linter().lint_paths(["."], cache=store)
    assert parse_counter == [SEEDED]
    assert not any(f.code == "RPL107" and "unseeded" in f.path for f in after.findings)
    assert _render(after) == _render(Linter().lint_paths(["."]))


def test_changing_select_changes_the_results_not_answered_from_cache(tree):
    only_101 = run_cli("--select", "RPL101", ".", cwd=tree)
    everything = run_cli("--select", "ALL", ".", cwd=tree)
    again_101 = run_cli("--select", "RPL101", ".", cwd=tree)
    assert "RPL107" not in only_101.stdout and "RPL107" in everything.stdout
    assert again_101.stdout == only_101.stdout
    assert everything.stdout == run_cli("--select", "ALL", "--no-cache", ".", cwd=tree).stdout


def test_every_settings_field_is_part_of_the_key():
    base = Settings()
    fingerprint = settings_fingerprint(base)
    for field in dataclasses.fields(Settings):
        value = getattr(base, field.name)
        if isinstance(value, bool):
            changed = not value
        elif isinstance(value, (int, float)):
            changed = value + 1
        elif isinstance(value, dict):
            changed = {"key": "value"}
        elif isinstance(value, str):
            changed = value + "x"
        else:
            changed = ("RPL101",) if not value else ()
        other = dataclasses.replace(base, **{field.name: changed})
        assert settings_fingerprint(other) != fingerprint, field.name
    assert settings_fingerprint(Settings()) == fingerprint


def test_the_version_is_part_of_the_key(monkeypatch):
    before = settings_fingerprint(Settings())
    monkeypatch.setattr(cache_module.reprolint, "__version__", "999.0")
    assert settings_fingerprint(Settings()) != before


def test_a_corrupt_entry_is_ignored_and_rewritten(tree):
    cold = run_cli(".", "--cache-dir", "c", cwd=tree)
    entries = _entries(tree / "c")
    assert entries
    for index, entry in enumerate(entries):
        # Garbage, a truncated write, and well-formed JSON that holds the wrong thing.
        entry.write_text(["{not json", '{"key": "', json.dumps({"key": entry.stem, "report": {"x": 1}})][index % 3])
    warm = run_cli(".", "--cache-dir", "c", cwd=tree)
    assert warm.stdout == cold.stdout and warm.returncode == cold.returncode
    for entry in entries:
        assert json.loads(entry.read_text())["key"] == entry.stem


def test_concurrent_runs_share_one_cache(tree):
    expected = run_cli("--no-cache", ".", cwd=tree)
    command = reprolint_command() + [".", "--cache-dir", "shared", "--jobs", "2"]
    runs = [subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(out == (expected.stdout, "") for out in outputs)
    assert not [p for p in (tree / "shared").rglob("*") if p.name.startswith(".tmp-")]
    assert run_cli(".", "--cache-dir", "shared", cwd=tree).stdout == expected.stdout


def test_cache_dir_from_the_environment_and_clean(tree):
    env_dir = tree / "from-env"
    result = subprocess.run(reprolint_command() + ["."], cwd=tree, capture_output=True, text=True,
                            env={**os.environ, "REPROLINT_CACHE_DIR": str(env_dir)}, timeout=120)
    assert result.returncode == 2 and _entries(env_dir)
    assert not (tree / ".reprolint_cache").exists()
    cleaned = run_cli("clean", "--cache-dir", str(env_dir), cwd=tree)
    assert cleaned.returncode == 0 and not env_dir.exists()
    assert "No cache" in run_cli("clean", "--cache-dir", str(env_dir), cwd=tree).stdout


def test_default_cache_folder_and_no_cache(tree):
    run_cli(".", "--no-cache", cwd=tree)
    assert not (tree / ".reprolint_cache").exists()
    run_cli(".", cwd=tree)
    assert (tree / ".reprolint_cache" / ".gitignore").read_text() == "*\n"
    assert run_cli("clean", cwd=tree).returncode == 0
    assert not (tree / ".reprolint_cache").exists()


def test_clean_refuses_a_folder_that_is_not_a_cache(tree):
    result = run_cli("clean", "--cache-dir", "pkg", cwd=tree)
    assert result.returncode == 2
    assert "pkg: not a reprolint cache" in result.stderr
    assert (tree / "pkg" / "unseeded.py").exists()


def test_an_unwritable_cache_warns_and_still_lints(tree):
    (tree / "blocked").write_text("a file where the cache folder should be")
    result = run_cli(".", "--cache-dir", "blocked/cache", cwd=tree)
    assert result.returncode == 2 and "RPL107" in result.stdout
    assert "warning: could not write the cache: blocked/cache" in result.stderr


# ---------------------------------------------------------------------- progress

class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_appears_only_after_a_second_and_only_when_enabled(monkeypatch):
    shown = []

    class Bar:
        def __init__(self, **kwargs):
            shown.append(("created", kwargs["length"]))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            shown.append(("closed",))

        def update(self, count):
            shown.append(("update", count))

    monkeypatch.setattr("click.progressbar", lambda **kwargs: Bar(**kwargs))
    clock = FakeClock()
    quick = Progress(10, enabled=True, clock=clock)
    quick.advance(3)
    quick.close()
    assert shown == []
    slow = Progress(10, enabled=True, clock=clock)
    slow.advance(3)
    clock.now = 1.5
    slow.advance(1)
    slow.advance(1)
    slow.close()
    assert shown == [("created", 10), ("update", 4), ("update", 1), ("closed",)]
    shown.clear()
    off = Progress(10, enabled=False, clock=clock)
    clock.now = 5.0
    off.advance(5)
    assert shown == []


def test_clean_removes_a_cache_folder_that_verify_made(tree):
    folder = tree / ".reprolint_cache"
    (folder / "verify").mkdir(parents=True)
    (folder / ".gitignore").write_text("*\n")
    (folder / "verify" / ("0" * 64 + ".json")).write_text("{}")  # a verdict's own name
    assert run_cli("clean", cwd=tree).returncode == 0
    assert not folder.exists()
