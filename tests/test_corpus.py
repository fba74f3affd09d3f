"""The precision corpus: realistic scripts, each line's expected findings marked inline.

A line ending in ``# expect: RPL101`` (or ``# expect: RPL101, RPL301``) must get exactly those
findings, every other line none. Settings a file needs (its own determinism helper) are in
``tests/corpus/settings.json``. Every rule runs (``--select ALL``), default-off ones included.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from reprolint.dependencies import is_dependency_file
from reprolint.engine import Linter
from reprolint.rules import ALL_RULES
from reprolint.settings import Settings

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)$")
FILES = sorted(CORPUS.glob("*.py"))
# Small projects under corpus/projects/: their requirements files, pyproject.toml and
# environment.yml carry the same inline markers (RPL401 reads them when selected).
DEPENDENCY_FILES = sorted(p for p in (CORPUS / "projects").rglob("*") if p.is_file() and is_dependency_file(str(p)))


def expected_findings(source: str) -> list:
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line.rstrip())
        if match:
            found += [(number, code.strip()) for code in match.group(1).split(",") if code.strip()]
    return sorted(found)


def settings_for(path: pathlib.Path) -> Settings:
    table = json.loads((CORPUS / "settings.json").read_text(encoding="utf-8"))
    extra = {key: tuple(value) for key, value in table.get(path.name, {}).items()}
    return Settings(select=("ALL",), **extra)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_has_exactly_the_expected_findings(path):
    source = path.read_text(encoding="utf-8")
    report = Linter(settings_for(path)).lint_source(source, str(path))
    assert not report.errors, report.errors
    actual = sorted((f.start.line, f.code) for f in report.findings)
    expected = expected_findings(source)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing and not extra and len(actual) == len(expected), (
        f"missing: {missing}\nunexpected: {extra}\nall findings: "
        + "\n".join(f"{f.start.line}:{f.start.column} {f.code} {f.message}" for f in report.findings)
    )


def _assert_exactly_expected(report, source: str) -> None:
    assert not report.errors, report.errors
    actual = sorted((f.start.line, f.code) for f in report.findings)
    expected = expected_findings(source)
    assert actual == expected, "\n".join(f"{f.start.line}:{f.start.column} {f.code} {f.message}"
                                          for f in report.findings)


@pytest.mark.parametrize("path", DEPENDENCY_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_dependency_file_has_exactly_the_expected_findings(path):
    report = Linter(Settings(select=("ALL",))).lint_file(str(path))
    _assert_exactly_expected(report, path.read_text(encoding="utf-8"))


def test_corpus_is_large_enough_and_covers_every_rule():
    assert len(FILES) >= 30
    assert len(DEPENDENCY_FILES) >= 5
    flagged = {code for path in FILES + DEPENDENCY_FILES
               for _, code in expected_findings(path.read_text(encoding="utf-8"))}
    # RPL9xx are reprolint's own checks (unused noqa), not reproducibility rules.
    assert flagged == {rule.code for rule in ALL_RULES if not rule.code.startswith("RPL9")}


def test_corpus_settings_name_existing_files():
    table = json.loads((CORPUS / "settings.json").read_text(encoding="utf-8"))
    assert all((CORPUS / name).exists() for name in table)


def test_cli_takes_the_corpus_helper_settings():
    from tests.conftest import run_cli

    path = str(CORPUS / "negative_user_determinism_helper.py")
    without = run_cli(path, "--select", "RPL308")
    assert without.returncode == 1 and "RPL308" in without.stdout
    named = run_cli(path, "--select", "RPL301", "--determinism-helpers", "myproj.repro.make_deterministic")
    assert named.returncode == 0, named.stdout
