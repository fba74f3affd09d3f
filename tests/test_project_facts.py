"""The typed facts a statement of a project function shows (``reprolint.semantic.project_facts``):
switching deterministic algorithms on so that ops raise is one fact, warning only is not it."""

from __future__ import annotations

import ast

import pytest

from reprolint.prefilter import dotted_name
from reprolint.semantic.project_facts import SWITCHES_DETERMINISTIC, SWITCHES_DETERMINISTIC_RAISING, statement_facts

ALIASES = {"torch": "torch", "enable_full_determinism": "diffusers.utils.torch_utils.enable_full_determinism",
           "hf_full_determinism": "transformers.enable_full_determinism"}


def _qualify(node):
    name = dotted_name(node)
    if not name:
        return None
    head, _, rest = name.partition(".")
    return ALIASES.get(head, head) + (f".{rest}" if rest else "")


def _facts(statement: str) -> set:
    return statement_facts(ast.parse(statement).body[0], _qualify)


@pytest.mark.parametrize("statement,switches,raises", [
    ("torch.use_deterministic_algorithms(True)", True, True),
    ("torch.use_deterministic_algorithms(mode=True, warn_only=False)", True, True),
    ("torch.use_deterministic_algorithms(True, warn_only=True)", True, False),
    ("torch.use_deterministic_algorithms(True, warn_only=args.warn)", True, False),  # unknown: may warn
    ("torch.use_deterministic_algorithms(True, **options)", True, False),
    ("torch.use_deterministic_algorithms(False)", False, False),
    ("enable_full_determinism()", True, True),
    ("hf_full_determinism(seed, warn_only=True)", True, False),
])
def test_raising_determinism_is_its_own_fact(statement, switches, raises):
    facts = _facts(statement)
    assert (SWITCHES_DETERMINISTIC in facts) is switches
    assert (SWITCHES_DETERMINISTIC_RAISING in facts) is raises
