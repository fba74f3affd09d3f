"""Bad input gives a clear per-file error naming the file and the reason; the run goes on."""

from __future__ import annotations

import os

import pytest

from reprolint.engine import Linter

GOOD_WITH_FINDING = b"import torch\ng = torch.Generator()\nx = torch.randn(2, generator=g)\n"


def _run(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    run = Linter().lint_paths([str(tmp_path)])
    errors = {os.path.basename(e.path): e.message for e in run.errors}
    assert any(os.path.basename(f.path) == "ok.py" for f in run.findings), "the other file was not linted"
    return errors


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("latin.py", "# naïve\nimport torch\n".encode("latin-1"), "not valid UTF-8"),
        ("utf16.py", "import torch\n".encode("utf-16"), "UTF-16"),
        ("nul.py", b"import torch\x00\n", "NUL bytes"),
        ("py2.py", b"import torch\nprint 'hello'\n", "could not parse"),
        ("deep.py", b"import torch\nx = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "could not parse"),
        ("binary.py", bytes(range(256)) * 4, "NUL bytes"),
        ("broken.py", b"def f(:\n  pass\n", "could not parse"),
    ],
)
def test_bad_file_is_a_per_file_error(tmp_path, name, data, reason):
    errors = _run(tmp_path, name, data)
    assert reason in errors[name]


def test_utf8_bom_and_coding_cookie_are_read_as_python_reads_them(tmp_path):
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + GOOD_WITH_FINDING)
    (tmp_path / "cookie.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n# na\xefve\n" + GOOD_WITH_FINDING)
    run = Linter().lint_paths([str(tmp_path)])
    assert not run.errors
    assert sorted((os.path.basename(f.path), f.start.line) for f in run.findings) == [
        ("bom.py", 3), ("cookie.py", 5)]


def test_dangling_symlink_and_missing_path(tmp_path):
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    os.symlink(tmp_path / "nowhere.py", tmp_path / "dangling.py")
    run = Linter().lint_paths([str(tmp_path), str(tmp_path / "missing.py")])
    messages = {os.path.basename(e.path): e.message for e in run.errors}
    assert "could not read" in messages["dangling.py"]
    assert messages["missing.py"] == "no such file or directory"
    assert len(run.findings) == 1


def test_symlink_loop_in_a_folder_tree_terminates(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "ok.py").write_bytes(GOOD_WITH_FINDING)
    os.symlink("..", tmp_path / "pkg" / "sub" / "up")
    run = Linter().lint_paths([str(tmp_path / "pkg")])
    assert [os.path.basename(f.path) for f in run.findings] == ["ok.py"]


def test_many_functions_do_not_make_analysis_quadratic(tmp_path):
    # Regression: every function definition copied the module's whole namespace, so a generated
    # file with tens of thousands of functions ran out of memory. Bounded by size, not timed.
    body = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(4000))
    source = "import torch\n" + body + "g = torch.Generator()\ny = torch.randn(1, generator=g)\n"
    report = Linter().lint_source(source, "generated.py")
    assert [f.code for f in report.findings] == ["RPL107"]
