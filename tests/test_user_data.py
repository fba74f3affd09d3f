"""Nothing the user owns is lost: `clean` and the caches never take a folder of the user's for
their own, `-o` never overwrites a linted file, `--fix` keeps hard links (issue 21, data loss)."""

from __future__ import annotations

import hashlib
import os
import pathlib

import pytest

from reprolint.cache import CACHEDIR_TAG, Cache, CacheError, claim_folder
from reprolint.settings import Settings
from reprolint.verify.cache import VerdictCache
from tests.conftest import run_cli

SCRIPT = ('import torch\nfrom diffusers import DDPMPipeline\n'
          'pipe = DDPMPipeline.from_pretrained("m")\nimage = pipe().images[0]\n')


def snapshot(root: pathlib.Path) -> dict:
    """Every file and folder below ``root`` with its bytes' digest."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return found


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "weights.bin").write_bytes(os.urandom(4096))
    (root / "data" / "notes.txt").write_text("mine\n")
    (root / "script.py").write_text(SCRIPT)
    return root


# ------------------------------------------------------------------ the cache folder

def test_a_lint_run_never_claims_a_folder_of_the_users(project):
    before = snapshot(project / "data")
    result = run_cli("script.py", "--cache-dir", "data", cwd=project)
    assert result.returncode == 1 and "RPL101" in result.stdout
    assert "data: holds files reprolint did not make (notes.txt, weights.bin)" in result.stderr
    assert snapshot(project / "data") == before  # no tag, no .gitignore, no entries


def test_clean_leaves_a_folder_of_the_users_whole(project):
    run_cli("script.py", "--cache-dir", "data", cwd=project)
    before = snapshot(project)
    result = run_cli("clean", "--cache-dir", "data", cwd=project)
    assert result.returncode == 2 and "data: not a reprolint cache" in result.stderr
    assert "Removed" not in result.stdout
    assert snapshot(project) == before


def test_the_project_itself_as_the_cache_folder_loses_nothing(project):
    env = {"REPROLINT_CACHE_DIR": "."}
    before = snapshot(project)
    lint = run_cli("script.py", cwd=project, env=env)
    assert lint.returncode == 1 and "not using it as the cache" in lint.stderr
    cleaned = run_cli("clean", cwd=project, env=env)
    assert cleaned.returncode == 2 and "not removing it" in cleaned.stderr
    assert snapshot(project) == before
    assert not (project / ".gitignore").exists()  # a `*` there would hide the whole project from git


def test_clean_of_a_folder_an_older_reprolint_tagged_keeps_the_users_files(project):
    data = project / "data"
    (data / "CACHEDIR.TAG").write_text(CACHEDIR_TAG)
    (data / ".gitignore").write_text("*\n")
    entry = data / "v1" / "ab" / ("ab" + "0" * 38 + ".json")
    entry.parent.mkdir(parents=True)
    entry.write_text("{}")
    (data / "v1" / "mine.csv").write_text("a,b\n")  # the user's, inside reprolint's layout
    result = run_cli("clean", "--cache-dir", "data", cwd=project)
    assert result.returncode == 0
    assert "kept the folder and what reprolint did not make there (notes.txt, v1, weights.bin)" in result.stdout
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt", "v1", "weights.bin"]
    assert [p.name for p in (data / "v1").iterdir()] == ["mine.csv"]


def test_clean_removes_a_real_cache_whole(project):
    assert run_cli("script.py", "--cache-dir", "cache", cwd=project).returncode == 1
    assert (project / "cache" / "CACHEDIR.TAG").exists() and list((project / "cache" / "v1").rglob("*.json"))
    result = run_cli("clean", "--cache-dir", "cache", cwd=project)
    assert result.returncode == 0 and result.stdout.strip() == "Removed cache"
    assert not (project / "cache").exists()


def test_an_empty_folder_may_become_the_cache(tmp_path):
    (tmp_path / "empty").mkdir()
    claim_folder(str(tmp_path / "empty"))
    assert (tmp_path / "empty" / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    claim_folder(str(tmp_path / "empty"))  # its own layout is no obstacle the second time


def test_the_lint_cache_writes_nothing_into_a_refused_folder(project):
    cache = Cache.for_settings(str(project / "data"), Settings())
    before = snapshot(project / "data")
    cache.put(cache.key("script.py", b"x"), {"findings": []})
    cache.summaries().put("script.py", [1, 2], None)
    cache.summaries().save()
    assert cache.refused and "holds files reprolint did not make" in cache.write_failed
    assert snapshot(project / "data") == before


def test_the_verdict_cache_refuses_a_folder_of_the_users(project):
    before = snapshot(project / "data")
    verdicts = VerdictCache(enabled=True, folder=str(project / "data"))
    assert not verdicts.enabled and "holds files reprolint did not make" in verdicts.refused
    verdicts.put("0" * 64, {"status": "drift"})
    assert snapshot(project / "data") == before


def test_claim_refuses_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CacheError, match="not a folder"):
        claim_folder(str(tmp_path / "file"))


# ------------------------------------------------------------------ -o over a linted file

@pytest.mark.parametrize("named", [("script.py",), (".",)], ids=["named-file", "found-in-folder"])
def test_the_report_never_overwrites_a_linted_file(project, named):
    before = (project / "script.py").read_bytes()
    result = run_cli(*named, "-o", "script.py", cwd=project)
    assert result.returncode == 2
    assert "script.py: is one of the files being linted" in result.stderr
    assert (project / "script.py").read_bytes() == before


def test_the_report_never_overwrites_a_hard_link_of_a_linted_file(project):
    os.link(project / "script.py", project / "link.txt")
    result = run_cli("script.py", "-o", "link.txt", cwd=project)
    assert result.returncode == 2 and "link.txt: is one of the files being linted (script.py)" in result.stderr
    assert (project / "link.txt").read_text() == SCRIPT


def test_a_report_file_beside_the_sources_is_written(project):
    result = run_cli("script.py", "-o", "report.txt", cwd=project)
    assert result.returncode == 1 and "RPL101" in (project / "report.txt").read_text()


# ------------------------------------------------------------------ --fix and hard links

INT_SEED = ('import torch\nfrom diffusers import DDPMPipeline\n'
            'pipe = DDPMPipeline.from_pretrained("m")\nimage = pipe(generator=torch.manual_seed(3)).images[0]\n')


def test_fix_keeps_a_hard_link_pointing_at_the_fixed_file(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(INT_SEED)
    os.link(script, tmp_path / "other-name.py")
    inode = script.stat().st_ino
    result = run_cli("script.py", "--fix", "--select", "RPL104", cwd=tmp_path)
    assert "Fixed 1" in result.stdout, result.stdout + result.stderr
    assert script.stat().st_ino == inode and script.stat().st_nlink == 2
    assert (tmp_path / "other-name.py").read_text() == script.read_text() != INT_SEED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-name.py", "script.py"]  # no backup left


def test_a_failed_write_in_place_puts_the_original_back(tmp_path, monkeypatch):
    from reprolint.fix import write

    script = tmp_path / "script.py"
    script.write_text(INT_SEED)
    os.link(script, tmp_path / "link.py")
    real_overwrite, calls = write._overwrite, []

    def failing_once(target, data):
        calls.append(data)
        if len(calls) == 1:
            real_overwrite(target, data[: len(data) // 2])  # half written, then the disk fills
            raise OSError(28, "No space left on device")
        real_overwrite(target, data)

    monkeypatch.setattr(write, "_overwrite", failing_once)
    with pytest.raises(OSError):
        write.write_atomically(str(script), INT_SEED.replace("3", "4"))
    assert script.read_text() == INT_SEED == (tmp_path / "link.py").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.py", "script.py"]


# ------------------------------------------------------------------ --verify's own output folders

def test_verify_report_never_replaces_an_index_html_of_the_users(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html>my site</html>")
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = run_cli("clean.py", "--verify", "--verify-report", "site", cwd=tmp_path)
    assert result.returncode == 2 and "site/index.html exists and is not a reprolint report" in result.stderr
    assert (tmp_path / "site" / "index.html").read_text() == "<html>my site</html>"


def test_keep_outputs_never_copies_into_a_folder_of_the_users(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("mine")
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = run_cli("clean.py", "--verify", "--keep-outputs", "data", cwd=tmp_path)
    assert result.returncode == 2 and "data holds files reprolint did not put there" in result.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["notes.txt"]
    # A new folder is marked as reprolint's, so the next run may use it again.
    assert run_cli("clean.py", "--verify", "--keep-outputs", "kept", cwd=tmp_path).returncode == 0
    assert run_cli("clean.py", "--verify", "--keep-outputs", "kept", cwd=tmp_path).returncode == 0
    assert [p.name for p in (tmp_path / "kept").iterdir()] == [".reprolint-outputs"]


def test_a_report_reprolint_wrote_is_its_own():
    from reprolint.verify import report

    assert report.GENERATOR_MARK in report.render([], environment="")
