"""Bad input gives a clear per-file error naming the file and the reason; the run goes on."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from tests.conftest import BAD_PIPELINE, invoke, reprolint_command
from reprolint.engine import INTERNAL_ERROR, MAX_ANALYSED_CHARS, TOO_LARGE, Linter

GOOD_WITH_FINDING = b"import torch\ng = torch.Generator()\nx = torch.randn(2, generator=g)\n"
# One safe fix: RPL103 turns `seed=` into a seeded generator.
RPL103_SAFE_FIX = (b"import torch\nfrom diffusers import DiffusionPipeline\n\n"
                   b"pipe = DiffusionPipeline.from_pretrained('x')\n"
                   b"image = pipe('a cat', seed=3).images[0]\n")
RPL103_FIXED = RPL103_SAFE_FIX.replace(b"seed=3", b'generator=torch.Generator("cpu").manual_seed(3)')


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
        ("chain.py", b"import torch\nx = " + b"torch.ones(1) + " * 5000 + b"1\n", "nesting too deep"),
        ("analysed_chain.py", b"import torch\ng = torch.Generator()\nx = " + b"g + " * 1500 + b"g\n",
         "nesting too deep"),
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


# -- encodings: what Python accepts, reprolint lints --------------------------------------------
def test_latin1_without_a_cookie_is_an_error_and_with_one_is_linted(tmp_path):
    # Python itself refuses latin-1 bytes without a PEP 263 cookie and accepts them with one;
    # reprolint does the same, so a file it lints is a file Python runs.
    latin1 = "# café\n".encode("latin-1") + GOOD_WITH_FINDING
    (tmp_path / "no_cookie.py").write_bytes(latin1)
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\n" + latin1)
    (tmp_path / "wrong_cookie.py").write_bytes(b"# coding: utf-8\n" + latin1)
    (tmp_path / "unknown_cookie.py").write_bytes(b"# coding: no-such-codec\n" + GOOD_WITH_FINDING)
    run = Linter().lint_paths([str(tmp_path)])
    errors = {os.path.basename(e.path): e.message for e in run.errors}
    assert errors.keys() == {"no_cookie.py", "wrong_cookie.py", "unknown_cookie.py"}
    assert errors["no_cookie.py"].startswith("not valid UTF-8 at line 1 (byte offset 5: 0xe9, invalid continuation "
                                             "byte) and no PEP 263 coding declaration")
    assert errors["wrong_cookie.py"].startswith("not valid utf-8 text at line 2 ")
    assert "encoding" in errors["unknown_cookie.py"]
    assert [(os.path.basename(f.path), f.code, f.start.line) for f in run.findings] == [("cookie.py", "RPL107", 5)]


# -- size ---------------------------------------------------------------------------------------
def test_five_megabyte_generated_file_is_a_clear_error_not_a_hang(tmp_path):
    # Analysing 5 MB took 260 s and 3.6 GB; the limit makes it an immediate per-file error.
    rows = "".join(f"    ({i}, {i * 0.5!r}, 'name_{i}'),\n" for i in range(160_000))
    data = ("import torch\nTABLE = [\n" + rows + "]\n").encode() + GOOD_WITH_FINDING
    assert len(data) > 5_000_000
    errors = _run(tmp_path, "table_pb2.py", data)
    assert errors["table_pb2.py"].startswith(f"{TOO_LARGE}: {len(data):,} characters")
    assert "exclude it" in errors["table_pb2.py"]


def test_large_file_no_rule_could_match_is_still_syntax_checked():
    # Over the limit but without any rule's trigger word: only the stdlib parser reads it.
    comments = "# generated\n" + ("# " + "x" * 1000 + "\n") * (MAX_ANALYSED_CHARS // 1000) + "x = 1\n"
    assert len(comments) > MAX_ANALYSED_CHARS
    report = Linter().lint_source(comments, "big.py")
    assert report.prefiltered and not report.errors
    broken = Linter().lint_source(comments + "def f(:\n", "big.py")
    assert "could not parse" in broken.errors[0].message


# -- the file system ----------------------------------------------------------------------------
def _root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.skipif(_root(), reason="root reads files whatever their mode; "
                    "test_unreadable_file_is_a_per_file_error covers the same path")
def test_permission_denied_on_a_real_file(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_bytes(GOOD_WITH_FINDING)
    secret.chmod(0)
    try:
        run = Linter().lint_paths([str(tmp_path)])
        messages = {os.path.basename(e.path): e.message for e in run.errors}
        assert messages["secret.py"] == "could not read: Permission denied"
    finally:
        secret.chmod(0o644)


def test_unreadable_file_is_a_per_file_error(tmp_path, monkeypatch):
    # Runs as root too (where chmod 000 does not stop a read): the OS refusal is simulated at
    # the one place files are opened, so the error path is the one a real EACCES takes.
    import builtins

    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    errors = _run(tmp_path, "secret.py", GOOD_WITH_FINDING)
    assert errors["secret.py"] == "could not read: Permission denied"


def test_a_fifo_in_a_folder_tree_is_skipped_not_waited_on(tmp_path):
    import threading

    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    runs = []
    worker = threading.Thread(target=lambda: runs.append(Linter().lint_paths([str(tmp_path)])), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # blocked opening the FIFO: give it a writer so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("linting a folder with a FIFO in it waited on the FIFO")
    assert [os.path.basename(r.path) for r in runs[0].files] == ["ok.py"]


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_a_fifo_named_on_the_command_line_is_read_once(tmp_path, cache):
    """The project index and the file loop share the FIFO's bytes: a second read would wait for
    a writer that is gone."""
    import subprocess
    import threading

    from tests.conftest import reprolint_command

    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)

    def write_once():
        with open(fifo, "wb") as handle:
            handle.write(GOOD_WITH_FINDING)

    writer = threading.Thread(target=write_once, daemon=True)
    writer.start()
    command = reprolint_command() + ["--output-format", "concise", "--cache-dir", str(tmp_path / "cache")]
    try:
        result = subprocess.run(command + ([] if cache else ["--no-cache"]) + ["pipe.py", "ok.py"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the writer thread end
        pytest.fail("a FIFO named on the command line was read twice (the run waited)")
    assert "pipe.py:3:30: RPL107" in result.stdout and "ok.py:3:30: RPL107" in result.stdout, result.stderr
    assert result.returncode == 1


def test_unreadable_file_and_folder_named_on_the_command_line_are_per_file_errors(tmp_path, monkeypatch):
    """pre-commit names files: one that cannot be read is its own error, not a usage error that
    stops the others being linted (the refusal is simulated: root reads whatever the mode)."""
    import builtins

    real_open, real_scandir = builtins.open, os.scandir

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    def refusing_scandir(path="."):
        if os.fspath(path).rstrip("/").endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    (tmp_path / "secret.py").write_bytes(GOOD_WITH_FINDING)
    (tmp_path / "locked").mkdir()
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(builtins, "open", refusing_open)
    monkeypatch.setattr(os, "scandir", refusing_scandir)
    result = invoke("--no-cache", "--output-format", "concise", "secret.py", "locked", "ok.py")
    assert result.exit_code == 2, result.output
    assert "secret.py:1:1: error: could not read: Permission denied" in result.output
    assert "locked:1:1: error: could not read folder: Permission denied" in result.output
    assert "ok.py:3:30: RPL107" in result.output  # the other named file is still linted
    assert "Usage:" not in result.output


# -- notebooks ----------------------------------------------------------------------------------
def _notebook(cells) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.mark.parametrize("data,reason", [
    (b"this is not json", "not a valid notebook: invalid JSON at line 1 column 1"),
    (b'{"metadata": {}, "nbformat": 4}', "not a valid notebook: no `cells` list"),
    (b"[" * 100_000 + b"]" * 100_000, "not a valid notebook"),
    (_notebook([{"cell_type": "code", "source": ["x = 1\n", 2]}]), "code cell 1 has a `source`"),
])
def test_broken_notebook_is_a_per_file_error(tmp_path, data, reason):
    errors = _run(tmp_path, "nb.ipynb", data)
    assert reason in errors["nb.ipynb"]


@pytest.mark.parametrize("source", [GOOD_WITH_FINDING.decode(), GOOD_WITH_FINDING.decode().splitlines(True)],
                         ids=["string", "list"])
def test_cell_source_as_string_or_list_is_linted(tmp_path, source):
    (tmp_path / "nb.ipynb").write_bytes(_notebook([{"cell_type": "code", "source": source}]))
    run = Linter().lint_paths([str(tmp_path)])
    assert not run.errors
    assert [(f.code, f.extra["cell"], f.start.line) for f in run.findings] == [("RPL107", 1, 3)]


def test_notebook_with_no_cells_is_linted_as_empty(tmp_path):
    # `"cells": []` is a valid (new, empty) notebook: nothing to report, and no error.
    (tmp_path / "empty.ipynb").write_bytes(_notebook([]))
    result = invoke(tmp_path / "empty.ipynb", "--output-format", "concise")
    assert result.exit_code == 0, result.output


# -- configuration ------------------------------------------------------------------------------
@pytest.mark.parametrize("text,reason", [
    ("[tool.reprolint\nselect = [\n", "not valid TOML"),
    ('[tool]\nreprolint = "RPL1"\n', "[tool.reprolint] must be a table"),
    ('[tool.reprolint]\nselect = "RPL1"\n', "bad value for `select`: expected a list of strings"),
    ("[tool.reprolint]\nexclude = 3\n", "bad value for `exclude`"),
    ('[tool.reprolint]\nper-file-ignores = ["x"]\n', "bad value for `per-file-ignores`"),
])
@pytest.mark.parametrize("exit_zero", [False, True])
def test_bad_pyproject_names_the_file_and_reason_and_exits_2(tmp_path, text, reason, exit_zero):
    # A configuration error is not a lint result: without its settings nothing can be linted
    # correctly, so it exits 2 even with --exit-zero (as ruff does); see docs/configuration.md.
    (tmp_path / "pyproject.toml").write_text(text)
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    result = invoke("ok.py", *(["--exit-zero"] if exit_zero else []), cwd=tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path / 'pyproject.toml'}" in result.stderr and reason in result.stderr
    assert "Traceback" not in result.output



@pytest.mark.parametrize("name", ["pyproject.toml", "reprolint.toml"])
@pytest.mark.parametrize("how", ["found", "--config"])
def test_a_configuration_file_that_is_not_utf8_is_a_config_error(tmp_path, name, how):
    # TOML is UTF-8 by definition; a latin-1 comment used to crash every run below the file.
    table = "[tool.reprolint]\n" if name == "pyproject.toml" else ""
    (tmp_path / name).write_bytes(f"{table}# caf\xe9\nselect = [\"ALL\"]\n".encode("latin-1"))
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    args = ["--config", name] if how == "--config" else []
    result = invoke("ok.py", *args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    where = tmp_path / name if how == "found" else name
    assert f"reprolint: error: {where}: not valid UTF-8 (invalid continuation byte at byte " in result.stderr


def _refuse_to_list(monkeypatch, folder_name):
    """The OS refusing to list ``folder_name`` (chmod 000 does not stop root, who runs the tests)."""
    real_scandir, real_stat = os.scandir, os.stat

    def refusing_scandir(path="."):
        if os.path.basename(os.fspath(path).rstrip(os.sep)) == folder_name:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def refusing_stat(path, *args, **kwargs):
        parts = os.fspath(path).split(os.sep)
        if folder_name in parts[:-1]:  # something inside the folder: its entries cannot be reached
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", refusing_scandir)
    monkeypatch.setattr(os, "stat", refusing_stat)


def test_an_unreadable_subfolder_is_an_error_not_skipped(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.py").write_bytes(GOOD_WITH_FINDING)
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    _refuse_to_list(monkeypatch, "locked")
    run = Linter().lint_paths([str(tmp_path)])
    assert {os.path.basename(e.path): e.message for e in run.errors} == {
        "locked": "could not read folder: Permission denied"}
    assert [os.path.basename(f.path) for f in run.findings] == ["ok.py"]
    for extra in ([], ["--fix"], ["--jobs", "2"]):
        result = invoke(".", "--no-cache", "--output-format", "concise", *extra, cwd=tmp_path)
        assert result.exit_code == 2, (extra, result.output)
        assert "locked:1:1: error: could not read folder: Permission denied" in result.output


def test_a_file_named_inside_an_unreadable_folder_is_not_called_missing(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.py").write_bytes(GOOD_WITH_FINDING)
    _refuse_to_list(monkeypatch, "locked")
    run = Linter().lint_paths([str(tmp_path / "locked" / "inside.py")])
    assert [e.message for e in run.errors] == ["could not read: Permission denied"]


@pytest.mark.skipif(_root(), reason="root lists folders whatever their mode; the tests above simulate it")
def test_a_real_unreadable_subfolder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.py").write_bytes(GOOD_WITH_FINDING)
    locked.chmod(0)
    try:
        run = Linter().lint_paths([str(tmp_path)])
        assert [e.message for e in run.errors] == ["could not read folder: Permission denied"]
    finally:
        locked.chmod(0o755)


# -- the messages docs/bad-input.md lists are the messages reprolint prints -----------------------
BAD_INPUT_DOC = (__import__("pathlib").Path(__file__).parent.parent / "docs" / "bad-input.md").read_text()


def test_a_latin1_byte_after_line_2_says_where_and_names_pep_263(tmp_path):
    """Past line 2 Python's own encoding check does not look: the message used to be a bare
    `not valid utf-8 text (invalid continuation byte)`, at line 1."""
    data = b"import torch\nx = 1\ny = 2\n# caf\xe9\n"
    (error,) = Linter().lint_bytes(data, "late.py").errors
    assert error.message == ("not valid UTF-8 at line 4 (byte offset 30: 0xe9, invalid continuation byte) and no "
                             "PEP 263 coding declaration (if the file is in another encoding, say which on line 1 "
                             "or 2, e.g. `# -*- coding: latin-1 -*-`)")
    assert (error.line, error.column) == (4, 1)
    (declared,) = Linter().lint_bytes(b"# coding: utf-8\n" + data, "declared.py").errors
    assert declared.message.startswith("not valid utf-8 text at line 5 (byte offset 46: 0xe9")
    assert declared.message.endswith("although a PEP 263 coding declaration names utf-8")


def test_a_memory_error_from_the_parser_gets_a_reason():
    """CPython's parser raises a MemoryError with no message when its stack overflows: the error
    used to read `could not parse: MemoryError: ` and stop there."""
    from reprolint.sources import parser_gave_up

    expected = "could not parse: " + parser_gave_up(MemoryError())
    assert expected in BAD_INPUT_DOC
    (error,) = Linter().lint_bytes(b"import torch\nx = " + b"-" * 100_000 + b"1\n", "deep.py").errors
    assert error.message.startswith("could not parse: too deeply nested for Python's parser, or too large")
    assert not error.message.endswith(": ")


@pytest.mark.parametrize("data,message", [
    (b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "could not parse: too many nested parentheses"),
    (b"import torch\nx = " + b"-" * 5000 + b"1\n", "could not parse: nesting too deep"),
    (b"import torch\nx = " + b"torch.ones(1) + " * 5000 + b"1\n", "could not parse: nesting too deep"),
    (b"import torch\ng = torch.Generator()\nx = " + b"g + " * 1500 + b"g\n", "could not analyse: nesting too deep"),
    ("# naïve\nimport torch\n".encode("latin-1"),
     "not valid UTF-8 at line 1 (byte offset 4: 0xef, invalid continuation byte) and no PEP 263 coding declaration "
     "(if the file is in another encoding, say which on line 1 or 2, e.g. `# -*- coding: latin-1 -*-`)"),
    (b"import torch\x00\n", "file contains NUL bytes (binary file?)"),
])
def test_bad_input_doc_gives_the_exact_message(data, message):
    report = Linter().lint_bytes(data, "case.py")
    assert [e.message for e in report.errors] == [message]
    assert f"`{message}`" in BAD_INPUT_DOC or f"``{message}``" in BAD_INPUT_DOC  # `` when it holds a `


# -- bugs in reprolint itself -------------------------------------------------------------------
class _Boom(Exception):
    pass


def _explode(*args, **kwargs):
    raise _Boom("simulated bug")


def test_a_crashing_rule_is_a_per_file_internal_error_and_other_rules_still_report(tmp_path, monkeypatch):
    from reprolint.rules import RULES_BY_CODE

    monkeypatch.setattr(RULES_BY_CODE["RPL101"], "check", _explode)
    (tmp_path / "pipe.py").write_text(BAD_PIPELINE)
    (tmp_path / "ok.py").write_bytes(GOOD_WITH_FINDING)
    result = invoke(tmp_path, "--output-format", "concise")
    assert result.exit_code == 2
    assert f"{tmp_path / 'pipe.py'}:1:1: error: {INTERNAL_ERROR} in RPL101: _Boom: simulated bug" in result.stdout
    assert "please report it" in result.stdout
    assert "ok.py:3:" in result.stdout and "RPL107" in result.stdout  # the run went on
    assert invoke(tmp_path, "--exit-zero").exit_code == 0
    assert "Traceback" not in result.output
    verbose = invoke(tmp_path, "--verbose", "--output-format", "concise")
    assert f"{tmp_path / 'pipe.py'}:1:1: traceback of the internal error:\nTraceback" in verbose.stderr
    assert "_explode" in verbose.stderr


def test_a_crashing_analyzer_is_a_per_file_internal_error(tmp_path, monkeypatch):
    import reprolint.semantic.analyzer

    monkeypatch.setattr(reprolint.semantic.analyzer, "analyse", _explode)
    report = Linter().lint_source(GOOD_WITH_FINDING.decode(), "x.py")
    (error,) = report.errors
    assert error.message.startswith(f"{INTERNAL_ERROR} in the analyzer: _Boom")
    assert "_explode" in error.detail and error.detail.startswith("Traceback")


def test_a_crashing_source_adapter_is_a_per_file_internal_error(tmp_path, monkeypatch):
    import reprolint.sources

    monkeypatch.setattr(reprolint.sources, "notebook_document", _explode)
    errors = _run(tmp_path, "nb.ipynb", _notebook([]))
    assert errors["nb.ipynb"].startswith(f"{INTERNAL_ERROR} in reading the file: _Boom")


def test_a_crashing_fix_leaves_that_file_alone_and_fixes_the_others(tmp_path, monkeypatch):
    import reprolint.fix.apply

    real_apply = reprolint.fix.apply.apply_fixes

    def apply_or_explode(module, fixes, settings):
        if "explodes" in module.code:
            _explode()
        return real_apply(module, fixes, settings)

    monkeypatch.setattr(reprolint.fix.apply, "apply_fixes", apply_or_explode)
    broken = "# explodes\n" + BAD_PIPELINE
    (tmp_path / "a.py").write_text(broken)
    (tmp_path / "b.py").write_text(BAD_PIPELINE)
    result = invoke(tmp_path, "--fix", "--unsafe-fixes", "--output-format", "concise")
    assert result.exit_code == 2
    assert f"{INTERNAL_ERROR} in fixing: _Boom: simulated bug" in result.output
    assert (tmp_path / "a.py").read_text() == broken
    assert "generator=" in (tmp_path / "b.py").read_text()


def test_pythons_syntax_warnings_about_the_file_are_not_printed(tmp_path):
    import warnings

    (tmp_path / "warns.py").write_text('import re\nx = re.compile("\\d")\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # as `python -W always` would show them
        run = Linter().lint_paths([str(tmp_path)])
    assert not run.errors
    assert [str(w.message) for w in caught] == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 parses PEP 695 syntax")
def test_syntax_newer_than_this_python_is_a_parse_error(tmp_path):
    errors = _run(tmp_path, "pep695.py", b"import torch\ntype Seeds = list[int]\ndef f[T](x: T) -> T:\n    return x\n")
    assert errors["pep695.py"].startswith("could not parse: invalid syntax")


def test_syntax_python_accepts_but_libcst_does_not_is_a_parse_error(tmp_path, monkeypatch):
    # libcst's grammar can lag behind CPython's: its ParserSyntaxError is a per-file error too.
    import libcst

    real_parse = libcst.parse_module

    def lagging_parse(source, *args, **kwargs):
        if "newer_syntax" in source:
            raise libcst.ParserSyntaxError("unsupported syntax", lines=source.splitlines(True),
                                           raw_line=2, raw_column=0)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", lagging_parse)
    errors = _run(tmp_path, "newer.py", b"import torch\nnewer_syntax = torch.Generator()\n")
    assert errors["newer.py"] == "could not parse: unsupported syntax"


def test_a_worker_process_that_dies_is_that_file_s_error_and_the_run_ends(tmp_path, monkeypatch):
    # A native crash (or the OOM killer) ends a worker without a Python exception. The pool
    # must neither wait forever for the lost file nor lose the others.
    import threading

    import reprolint.parallel
    from reprolint.settings import Settings

    real_lint_document = Linter.lint_document

    def dies_on_crash_py(self, document):
        if document.path.endswith("crash.py"):
            os._exit(9)
        return real_lint_document(self, document)

    monkeypatch.setattr(Linter, "lint_document", dies_on_crash_py)  # forked workers inherit it
    names = [f"f{i}.py" for i in range(6)] + ["crash.py"]
    for name in names:
        (tmp_path / name).write_bytes(GOOD_WITH_FINDING)
    files = sorted(str(tmp_path / name) for name in names)
    results = []
    worker = threading.Thread(target=lambda: results.append(
        reprolint.parallel.lint_files(files, Linter(Settings()), jobs=2)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the pool waited forever for the dead worker's file"
    reports = {os.path.basename(r.path): r for r in results[0]}
    assert reports["crash.py"].errors[0].message.startswith(f"{INTERNAL_ERROR}: the process linting this file died")
    assert all(len(reports[name].findings) == 1 and not reports[name].errors for name in names if name != "crash.py")


# -- file names a report cannot print as they are ------------------------------------------------
@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the file system must accept any bytes in a name")
@pytest.mark.parametrize("output_format", ["full", "concise", "github", "junit"])
def test_undecodable_and_escape_sequence_file_names_are_escaped_in_text_reports(tmp_path, output_format):
    """A name that is not UTF-8 crashed the text writers (UnicodeEncodeError) and left a 0-byte
    report; a name holding ESC [ 31 m coloured the terminal that showed the report."""
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"caf\xe9.py"), "wb") as handle:
        handle.write(GOOD_WITH_FINDING)
    with open(os.path.join(folder, b"esc\x1b[31mred.py"), "wb") as handle:
        handle.write(GOOD_WITH_FINDING)
    report = tmp_path / f"report.{output_format}"
    result = invoke("--no-cache", "--output-format", output_format, "-o", str(report), "caf\udce9.py",
                    "esc\x1b[31mred.py", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    data = report.read_bytes()
    text = data.decode("utf-8")  # valid UTF-8, not empty
    assert "caf\\xe9.py" in text and "esc\\x1b[31mred.py" in text
    assert b"\x1b" not in data
    if output_format == "junit":
        import xml.dom.minidom

        xml.dom.minidom.parseString(data)  # still well-formed XML


def test_printable_escapes_only_what_cannot_be_shown():
    from reprolint.findings import printable

    assert printable("src/模型 train\tv2.py") == "src/模型 train\tv2.py"
    assert printable("a\udcffb\x07\x1b[0m\u202e.py") == "a\\xffb\\x07\\x1b[0m\\u202e.py"


# -- selections that check nothing ---------------------------------------------------------------
@pytest.mark.parametrize("arguments,message", [
    (["--select", "RPL101", "--ignore", "RPL1"],
     "reprolint: error: no rules selected: ignore (RPL1) removes every rule selected (RPL101); "
     "nothing would be checked"),
    (["--ignore", "RPL"],
     "reprolint: error: no rules selected: ignore (RPL) removes every rule selected (the default rules); "
     "nothing would be checked"),
])
def test_selecting_and_ignoring_the_same_rules_is_an_error_not_all_checks_passed(tmp_path, arguments, message):
    (tmp_path / "bad.py").write_bytes(GOOD_WITH_FINDING)
    result = invoke("--no-cache", *arguments, "bad.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.output
    assert "All checks passed" not in result.output
    assert message.split("error: ", 1)[1].split(" (")[0] in BAD_INPUT_DOC


# -- --diff for names patch must read back ---------------------------------------------------------
@pytest.mark.skipif(shutil.which("patch") is None, reason="needs GNU patch")
@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the file system must accept any bytes in a name")
def test_diff_of_files_with_spaces_quotes_and_odd_bytes_applies_with_patch_p0(tmp_path):
    """The README promises `patch -p0 < fix.diff`; patch stopped a name at its first space."""
    import subprocess

    names = [b"my dir/a b.py", b'q"uo te.py', b"back\\slash.py", b"caf\xe9 x.py", b"plain.py"]
    folder = os.fsencode(tmp_path)
    os.mkdir(os.path.join(folder, b"my dir"))
    for name in names:
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(RPL103_SAFE_FIX)
    diff = subprocess.run(reprolint_command() + ["--no-cache", "--diff", "."], cwd=tmp_path, capture_output=True,
                          timeout=120).stdout
    assert diff.count(b"\n--- ") + diff.startswith(b"--- ") == len(names)
    assert b"--- my dir/a b.py\t\n" in diff and b'--- "caf\\351 x.py"\n' in diff
    applied = subprocess.run(["patch", "-p0", "--batch"], input=diff, cwd=tmp_path, capture_output=True, timeout=60)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            assert handle.read() == RPL103_FIXED, name
