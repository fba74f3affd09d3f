"""Every rule's own VALID/INVALID examples (beside the rule, Fixit-style) run as tests."""

from __future__ import annotations

import pytest

from reprolint.engine import Linter
from reprolint.fix import fix_source
from reprolint.rules import ALL_RULES
from reprolint.settings import Settings


def _cases(kind):
    for rule in ALL_RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind.lower()}-{index}")


def _findings(rule, code):
    report = Linter(Settings(select=(rule.code,))).lint_source(code, "example.py")
    assert not report.errors
    return report.findings


@pytest.mark.parametrize("rule,example", list(_cases("VALID")))
def test_valid_example_is_not_flagged(rule, example):
    assert _findings(rule, example.code) == []


@pytest.mark.parametrize("rule,example", list(_cases("INVALID")))
def test_invalid_example_is_flagged_where_expected(rule, example):
    found = [(f.start.line, f.start.column) for f in _findings(rule, example.code)]
    assert found == [tuple(e) for e in example.expect]


def test_every_rule_has_examples_on_both_sides():
    for rule in ALL_RULES:
        assert rule.VALID and rule.INVALID, rule.code


def test_prefilter_triggers_occur_in_every_invalid_example():
    # The prefilter skips files without any trigger; an INVALID example without one would be
    # a true finding the prefilter drops.
    for rule in ALL_RULES:
        for example in rule.INVALID:
            assert any(t in example.code for t in rule.triggers), rule.code


@pytest.mark.parametrize("rule,example", [case for case in _cases("INVALID") if case.values[1].fixed is not None])
def test_invalid_example_is_fixed_as_its_example_says(rule, example):
    settings = Settings(select=(rule.code,))
    outcome = fix_source(example.code, "example.py", settings, unsafe=True)
    assert not outcome.errors
    assert {f.code for f in outcome.applied} == {rule.code}
    assert outcome.source == example.fixed
    again = fix_source(outcome.source, "example.py", settings, unsafe=True)
    assert again.source == outcome.source and not again.applied


def test_a_rule_with_a_fix_shows_it_in_an_example_and_only_such_a_rule_does():
    for rule in ALL_RULES:
        shown = [example for example in rule.INVALID if example.fixed is not None]
        assert bool(shown) == (rule.fix_safety is not None), rule.code
        assert not any(example.fixed is not None for example in rule.VALID), rule.code
