"""The rule catalogue. Adding a rule: write one module here and list its class in ``ALL_RULES``."""

from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.rpl101_pipeline_call_without_generator import PipelineCallWithoutGenerator
from reprolint.rules.rpl102_generator_reused import GeneratorReused
from reprolint.rules.rpl103_seed_not_generator import SeedNotGenerator
from reprolint.rules.rpl104_global_generator import GlobalGenerator
from reprolint.rules.rpl105_generator_list_aliasing import GeneratorListAliasing
from reprolint.rules.rpl106_device_generator import DeviceGenerator
from reprolint.rules.rpl107_unseeded_generator import UnseededGenerator
from reprolint.rules.rpl301_missing_determinism_setup import MissingDeterminismSetup
from reprolint.rules.rpl900_unused_noqa import UnusedNoqa

ALL_RULES: tuple = tuple(
    sorted(
        [
            PipelineCallWithoutGenerator,
            GeneratorReused,
            SeedNotGenerator,
            GlobalGenerator,
            GeneratorListAliasing,
            DeviceGenerator,
            UnseededGenerator,
            MissingDeterminismSetup,
            UnusedNoqa,
        ],
        key=lambda rule: rule.code,
    )
)

RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME", "Example", "Rule"]
