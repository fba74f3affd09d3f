"""Every `pip install` line a user may copy installs *this* project.

`reprolint` on the package index is an unrelated project (issue 25), so the distribution is
named ``reprolint.DISTRIBUTION``; an install line naming anything else, in the README, docs/ or the
package's own messages, would install someone else's tool.
"""

from __future__ import annotations

import pathlib
import re
import shlex

import pytest

import reprolint

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
# `pip install` as a command, not a notebook's `!pip install` / `%pip install` (which the notebook
# support describes and the tests use as input).
INSTALL = re.compile(r"(?<![!%\w])pip install ([^`\n]*)")


def install_texts():
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "reprolint").rglob("*.py")),
               ROOT / ".pre-commit-hooks.yaml"]
    for path in sources:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # IPython's automagic (`pip install x` typed in a cell, no `%`) is described, not advised.
            if "magic" in line:
                continue
            for match in INSTALL.finditer(line):
                yield f"{path.relative_to(ROOT)}:{number}", match.group(1)


def requirements(arguments: str) -> list:
    """The requirements of a `pip install` argument list: ``-e PATH`` stays one item; options and
    their values (`-c constraints.txt`, `-q`) are dropped; a trailing shell/quote fragment ends it."""
    arguments = re.split(r"\s(?:&&|\|\||;|#)", arguments)[0]
    try:
        words = shlex.split(arguments)
    except ValueError:  # a quote left open where the line was cut (a Python string's end)
        words = arguments.replace('"', "").replace("'", "").split()
    words = [word.rstrip("),") for word in words]
    found, skip_value = [], False
    for index, word in enumerate(words):
        if skip_value:
            skip_value = False
            continue
        if word in ("-c", "--constraint", "-r", "--requirement", "-i", "--index-url"):
            skip_value = True
        elif word in ("-e", "--editable"):
            found.append(("editable", words[index + 1]))
            skip_value = True
        elif not word.startswith("-"):
            found.append(("requirement", word))
    return found


# The one other install line the README gives: torch's CPU build from PyTorch's own index, before
# the `verify` extra (pip's default torch wheel on Linux is the CUDA build).
PYTORCH_CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"


def acceptable(kind: str, requirement: str, arguments: str = "") -> bool:
    if requirement == "torch" and PYTORCH_CPU_INDEX in arguments:
        return True
    if kind == "editable":
        return requirement.startswith((".", "/", "git+"))  # this checkout (with extras) or a clone
    if requirement.startswith("git+"):
        return True
    name = re.split(r"[\[<>=!~ ;@]", requirement, maxsplit=1)[0]
    return name.lower().replace("_", "-") == reprolint.DISTRIBUTION


def test_the_distribution_is_the_name_in_pyproject():
    with open(ROOT / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    assert project["name"] == reprolint.DISTRIBUTION
    assert project["scripts"]["reprolint"] == "reprolint.cli:main"  # the command keeps its name
    assert reprolint.DISTRIBUTION != "reprolint"


def test_every_install_line_names_this_project():
    lines = list(install_texts())
    # The README's quick start, the extras in README/docs and the server's own message are all seen.
    assert len(lines) >= 6
    assert any(path.startswith("reprolint/") for path, _ in lines)
    wrong = [(where, kind, req) for where, args in lines for kind, req in requirements(args)
             if not acceptable(kind, req, args)]
    assert not wrong, f"install lines that would install another project: {wrong}"


@pytest.mark.parametrize("line,ok", [
    ('pip install "reprolint-torch[server]"', True),
    ("pip install reprolint-torch", True),
    ('pip install -c constraints.txt -e ".[test,verify]" && python -m pytest', True),
    ("pip install git+https://github.com/example/reprolint", True),
    ('pip install "reprolint[verify]"', False),
    ("pip install reprolint", False),
    ("pip install torch --index-url https://download.pytorch.org/whl/cpu", True),
    ("pip install torch", False),
])
def test_the_check_tells_this_project_from_the_other(line, ok):
    arguments = INSTALL.search(line).group(1)
    assert all(acceptable(kind, req, arguments) for kind, req in requirements(arguments)) is ok


def test_the_package_parses_as_the_oldest_python_it_declares():
    """requires-python says 3.9 (the README repeats it): no syntax newer than that in the package."""
    import ast

    with open(ROOT / "pyproject.toml", "rb") as handle:
        declared = tomllib.load(handle)["project"]["requires-python"]
    oldest = tuple(int(part) for part in re.fullmatch(r">=(\d+)\.(\d+)", declared).groups())
    assert "Python {}.{} or later".format(*oldest) in (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "reprolint").rglob("*.py")):
        ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=oldest)
