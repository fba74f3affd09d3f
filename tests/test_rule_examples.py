"""Every rule's own VALID/INVALID examples (beside the rule, Fixit-style) run as tests."""

from __future__ import annotations

import pytest

from reprolint.engine import Linter
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
