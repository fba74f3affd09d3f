"""Where a DataLoader's order comes from: a ``DistributedSampler`` shuffles with its own seed, a
``RandomSampler`` (and its kin) with its ``generator=`` when given one, else with torch's global
generator, as a ``DataLoader(shuffle=True)`` does."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.values import Const, DataSampler


def self_seeded(flow, site: CallSite):
    shuffle = site.fact.keyword("shuffle")
    return DataSampler(shuffles=not (shuffle is not None and shuffle.value == Const(False)), orders_itself=True)


def seeded_by_generator(flow, site: CallSite):
    generator = site.fact.keyword("generator")
    given = generator is not None and not (isinstance(generator.value, Const) and generator.value.value is None)
    return DataSampler(orders_itself=given)


def in_order(flow, site: CallSite):
    return DataSampler(shuffles=False)


NAMES = {
    **{name: in_order for name in catalog.ORDERED_SAMPLERS},
    **{name: self_seeded for name in catalog.SELF_SEEDED_SAMPLERS},
    **{name: seeded_by_generator for name in catalog.GENERATOR_SAMPLERS},
}
