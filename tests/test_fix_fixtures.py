"""Fixture pairs: ``tests/fixes/<CODE>/<name>.in.py`` fixed with only that rule gives ``<name>.out.py``.

Every pair is also checked for idempotence (fixing the output changes nothing) and re-lint (the
output has no finding the rule could still fix). Set ``REPROLINT_WRITE_FIXTURES=1`` to (re)write
the ``.out.py`` files from the current fixer, then review the diff before committing.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from reprolint.fix import fix_source
from reprolint.rules import RULES_BY_CODE
from reprolint.settings import Settings

FIXTURES = pathlib.Path(__file__).parent / "fixes"
PAIRS = sorted(FIXTURES.glob("*/*.in.py"))


def _fix(code: str, source: str):
    return fix_source(source, "example.py", Settings(select=(code,)), unsafe=True)


@pytest.mark.parametrize("fixture", PAIRS, ids=lambda p: f"{p.parent.name}/{p.name[:-6]}")
def test_fixture_is_fixed_as_expected(fixture):
    code = fixture.parent.name
    expected_path = fixture.with_name(fixture.name.replace(".in.py", ".out.py"))
    outcome = _fix(code, fixture.read_text())
    assert not outcome.errors, outcome.errors
    assert outcome.applied, "the fixture has nothing to fix"
    assert {f.code for f in outcome.applied} == {code}
    if os.environ.get("REPROLINT_WRITE_FIXTURES"):
        expected_path.write_text(outcome.source)
    assert outcome.source == expected_path.read_text()


@pytest.mark.parametrize("fixture", PAIRS, ids=lambda p: f"{p.parent.name}/{p.name[:-6]}")
def test_fixed_fixture_is_stable_and_relints_clean(fixture):
    code = fixture.parent.name
    fixed = _fix(code, fixture.read_text()).source
    again = _fix(code, fixed)
    assert again.source == fixed and not again.applied
    assert not [f for f in again.remaining if f.fix is not None]
    compile(fixed, str(fixture), "exec")


def test_every_fixable_rule_has_three_fixtures():
    fixable = [code for code, rule in RULES_BY_CODE.items() if rule.fix_safety is not None]
    for code in fixable:
        assert len(list((FIXTURES / code).glob("*.in.py"))) >= 3, code
