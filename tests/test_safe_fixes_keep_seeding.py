"""A safe fix never changes what a program computes (issue 21, issue 26): applying only the safe
fixes to the corpus, the project fixtures, the fix fixtures and every rule's examples never
changes which draws from torch's global random state are seeded."""

from __future__ import annotations

import pathlib
import textwrap

import libcst as cst
import pytest

from reprolint.engine import Linter
from reprolint.fix import fix_source
from reprolint.rules import ALL_RULES
from reprolint.semantic.analyzer import analyse
from reprolint.settings import Settings

TESTS = pathlib.Path(__file__).resolve().parent
SETTINGS = Settings(select=("ALL",))


def _sources() -> list:
    found = []
    for folder in ("corpus", "projects", "fixes"):
        for path in sorted((TESTS / folder).rglob("*.py")):
            found.append(pytest.param(path.read_text(encoding="utf-8"), id=str(path.relative_to(TESTS))))
    for rule in ALL_RULES:
        for index, example in enumerate(list(rule.VALID) + list(rule.INVALID)):
            found.append(pytest.param(textwrap.dedent(example.code), id=f"{rule.code}-example-{index}"))
    return found


def seeded_draws(source: str) -> list:
    """(what draws, whether the global generator was seeded on every path before it), in order."""
    model = analyse(cst.parse_module(source), source, "script.py")
    return [(description, model.draws_from_seeded_global_rng(node)) for node, description in model.global_rng_draws()]


@pytest.mark.parametrize("source", _sources())
def test_safe_fixes_keep_the_seeding_of_every_global_draw(source):
    outcome = fix_source(source, "script.py", SETTINGS, unsafe=False, linter=Linter(SETTINGS))
    if outcome.source == source or outcome.errors:
        return
    before, after = seeded_draws(source), seeded_draws(outcome.source)
    # A draw may go (RPL103 gives a generator to a call that could not have run with an int), but
    # none that stays may lose its seeding, and no unseeded draw may appear.
    assert sum(not seeded for _, seeded in after) <= sum(not seeded for _, seeded in before)
    if len(after) == len(before):
        assert after == before


def test_the_property_sees_a_fix_that_drops_the_global_seeding():
    # The RPL104 fix this issue corrected: rewriting the call alone unseeds the later draw.
    source = ('import torch\nfrom diffusers import DiffusionPipeline\n'
              'pipe = DiffusionPipeline.from_pretrained("m")\n'
              'a = pipe(generator=torch.manual_seed(0))\nb = pipe()\n')
    dropped = source.replace("torch.manual_seed(0)", 'torch.Generator("cpu").manual_seed(0)')
    assert seeded_draws(source) == [("a pipeline call without a generator", True)]
    assert seeded_draws(dropped) == [("a pipeline call without a generator", False)]
