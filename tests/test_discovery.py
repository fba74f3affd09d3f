"""File selection: excludes, .gitignore, --force-exclude, include/--extension, standard input."""

from __future__ import annotations

import os

from tests.conftest import BAD_PIPELINE, invoke
from reprolint.config import resolve_settings
from reprolint.discovery import discover
from reprolint.settings import Settings


def write(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(root, paths=(".",), **settings):
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = discover(list(paths), Settings(project_root=str(root), **settings))
        return sorted(p.replace(os.sep, "/") for p in result.files)
    finally:
        os.chdir(previous)


def make_repo(root):
    (root / ".git").mkdir()
    write(root / ".gitignore", "generated/\n*_autogen.py\n!keep_autogen.py\n")
    write(root / "src" / "a.py")
    write(root / "src" / "b_autogen.py")
    write(root / "src" / "keep_autogen.py")
    write(root / "generated" / "c.py")
    write(root / "src" / "nested" / ".gitignore", "local.py\n")
    write(root / "src" / "nested" / "local.py")
    write(root / "src" / "nested" / "d.py")


def test_gitignore_is_respected_with_negation_and_nested_files(tmp_path):
    make_repo(tmp_path)
    assert found(tmp_path) == ["src/a.py", "src/keep_autogen.py", "src/nested/d.py"]


def test_gitignore_above_the_linted_folder_applies(tmp_path):
    make_repo(tmp_path)
    assert found(tmp_path, ["src"]) == ["src/a.py", "src/keep_autogen.py", "src/nested/d.py"]


def test_gitignore_can_be_switched_off(tmp_path):
    make_repo(tmp_path)
    assert "generated/c.py" in found(tmp_path, respect_gitignore=False)
    assert "src/nested/local.py" in found(tmp_path, respect_gitignore=False)


def test_gitignore_outside_a_repository_is_not_applied(tmp_path):
    write(tmp_path / ".gitignore", "*.py\n")
    write(tmp_path / "a.py")
    assert found(tmp_path) == ["a.py"]


def test_default_excludes_and_virtualenvs(tmp_path):
    write(tmp_path / "build" / "x.py")
    write(tmp_path / "pkg.egg-info" / "x.py")
    write(tmp_path / "env" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "env" / "lib" / "x.py")
    write(tmp_path / "ok.py")
    assert found(tmp_path) == ["ok.py"]


def test_exclude_replaces_and_extend_exclude_adds(tmp_path):
    write(tmp_path / "build" / "x.py")
    write(tmp_path / "tests" / "fixtures" / "f.py")
    write(tmp_path / "tests" / "test_a.py")
    assert found(tmp_path, exclude=("tests/fixtures",)) == ["build/x.py", "tests/test_a.py"]
    assert found(tmp_path, extend_exclude=("tests/fixtures/*.py",)) == ["tests/test_a.py"]


def test_explicit_paths_are_linted_unless_force_exclude(tmp_path):
    make_repo(tmp_path)
    explicit = ["generated/c.py", "src/b_autogen.py", "src/a.py"]
    assert found(tmp_path, explicit) == sorted(explicit)
    assert found(tmp_path, explicit, force_exclude=True) == ["src/a.py"]
    write(tmp_path / "vendored" / "v.py")
    assert found(tmp_path, ["vendored/v.py"], extend_exclude=("vendored",), force_exclude=True) == []


def test_markdown_only_when_opted_in(tmp_path):
    write(tmp_path / "a.py")
    write(tmp_path / "guide.md", "# guide\n")
    write(tmp_path / "nb.ipynb", '{"cells": []}')
    assert found(tmp_path) == ["a.py", "nb.ipynb"]
    assert found(tmp_path, include=("*.py", "*.pyi", "*.ipynb", "*.md")) == ["a.py", "guide.md", "nb.ipynb"]


def test_force_exclude_on_the_command_line(tmp_path):
    make_repo(tmp_path)
    write(tmp_path / "generated" / "bad.py", BAD_PIPELINE)
    assert invoke("generated/bad.py", cwd=tmp_path).exit_code == 1
    result = invoke("generated/bad.py", "--force-exclude", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout == ""


def test_extension_option_lints_markdown(tmp_path):
    write(tmp_path / "guide.md", "text\n\n```python\n" + BAD_PIPELINE + "```\n")
    assert invoke(".", cwd=tmp_path).exit_code == 0  # not linted without opting in
    result = invoke(".", "--extension", "md", "--output-format", "concise", cwd=tmp_path)
    assert result.exit_code == 1
    assert "guide.md:7:9: RPL101" in result.stdout


def test_stdin_with_stdin_filename(tmp_path):
    result = invoke("-", "--stdin-filename", "pkg/train.py", "--output-format", "concise",
                    input=BAD_PIPELINE, cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.startswith("pkg/train.py:4:9: RPL101 ")
    anonymous = invoke("-", "--output-format", "concise", input=BAD_PIPELINE, cwd=tmp_path)
    assert anonymous.stdout.startswith("-:4:9: RPL101 ")
    clean = invoke("-", input="x = 1\n", cwd=tmp_path)
    assert clean.exit_code == 0


def test_stdin_uses_the_config_and_force_exclude_of_its_filename(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nextend-exclude = ["legacy"]\n'
                                       '[tool.reprolint.per-file-ignores]\n"scripts/*" = ["RPL101"]\n')
    ignored = invoke("-", "--stdin-filename", "scripts/run.py", input=BAD_PIPELINE, cwd=tmp_path)
    assert ignored.exit_code == 0
    excluded = invoke("-", "--stdin-filename", "legacy/run.py", "--force-exclude", input=BAD_PIPELINE,
                      cwd=tmp_path)
    assert excluded.exit_code == 0 and excluded.stdout == ""
    linted = invoke("-", "--stdin-filename", "legacy/run.py", input=BAD_PIPELINE, cwd=tmp_path)
    assert linted.exit_code == 1


def test_stdin_notebook(tmp_path):
    import json

    notebook = {"cells": [{"cell_type": "code", "source": BAD_PIPELINE.splitlines(keepends=True),
                           "metadata": {}, "outputs": [], "execution_count": None}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = invoke("-", "--stdin-filename", "nb.ipynb", "--output-format", "concise",
                    input=json.dumps(notebook), cwd=tmp_path)
    assert "nb.ipynb:cell 1:4:9: RPL101" in result.stdout


def test_dash_with_other_paths_is_a_usage_error(tmp_path):
    assert invoke("-", "a.py", input="", cwd=tmp_path).exit_code == 2


def test_config_exclude_is_relative_to_the_config_folder(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nextend-exclude = ["/scripts"]\n')
    write(tmp_path / "scripts" / "a.py")
    write(tmp_path / "pkg" / "scripts" / "b.py")
    settings = resolve_settings([str(tmp_path)])
    previous = os.getcwd()
    os.chdir(tmp_path / "pkg")  # a working folder below the config: patterns stay anchored there
    try:
        files = discover([str(tmp_path)], settings).files
    finally:
        os.chdir(previous)
    names = sorted(os.path.relpath(os.path.join(tmp_path / "pkg", f), tmp_path).replace(os.sep, "/")
                   for f in files)
    assert names == ["pkg/scripts/b.py"]


def test_a_folder_named_explicitly_is_walked_even_inside_an_excluded_one(tmp_path):
    # Linting an installed package: site-packages is excluded by default, but this folder was named.
    package = tmp_path / "lib" / "site-packages" / "pkg"
    write(package / "a.py")
    write(package / "sub" / "b.py")
    write(package / "build" / "c.py")  # excluded below the named folder
    assert found(tmp_path, ["lib/site-packages/pkg"]) == ["lib/site-packages/pkg/a.py",
                                                          "lib/site-packages/pkg/sub/b.py"]
    (tmp_path / "repo").mkdir()
    make_repo(tmp_path / "repo")
    write(tmp_path / "repo" / "generated" / "deep" / "d.py")
    assert found(tmp_path / "repo", ["generated"]) == ["generated/c.py", "generated/deep/d.py"]


def test_include_setting_lints_markdown_and_a_named_page_is_always_linted(tmp_path):
    write(tmp_path / "docs" / "guide.md", "text\n\n```py\n" + BAD_PIPELINE + "```\n")
    assert invoke(".", cwd=tmp_path).exit_code == 0
    named = invoke("docs/guide.md", "--output-format", "concise", cwd=tmp_path)
    assert named.exit_code == 1 and "guide.md:7:9: RPL101" in named.stdout
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nextend-include = ["*.md"]\n')
    configured = invoke(".", "--output-format", "concise", cwd=tmp_path)
    assert configured.exit_code == 1 and "guide.md:7:9: RPL101" in configured.stdout
