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


def _findings(rule, example, folder):
    """The rule's findings in the example, linted under its own file name; an example with
    ``files`` is a small project, written out in ``folder``."""
    linter = Linter(Settings(select=(rule.code,)))
    if example.files or example.path != "example.py":
        for name, text in {**example.files, example.path: example.code}.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        report = linter.lint_file(str(folder / example.path))
    else:
        report = linter.lint_source(example.code, example.path)
    assert not report.errors
    return report.findings


@pytest.mark.parametrize("rule,example", list(_cases("VALID")))
def test_valid_example_is_not_flagged(rule, example, tmp_path):
    assert _findings(rule, example, tmp_path) == []


@pytest.mark.parametrize("rule,example", list(_cases("INVALID")))
def test_invalid_example_is_flagged_where_expected(rule, example, tmp_path):
    found = [(f.start.line, f.start.column) for f in _findings(rule, example, tmp_path)]
    assert found == [tuple(e) for e in example.expect]


def test_every_rule_has_examples_on_both_sides():
    for rule in ALL_RULES:
        assert rule.VALID and rule.INVALID, rule.code


def test_prefilter_triggers_occur_in_every_invalid_example():
    # The prefilter skips files without any trigger; an INVALID example without one would be
    # a true finding the prefilter drops.
    for rule in ALL_RULES:
        if "python" not in rule.file_kinds:
            continue  # it reads dependency files, which the prefilter never sees
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
