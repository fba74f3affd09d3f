"""torch generators: ``torch.Generator(...)``, ``torch.manual_seed(...)`` (which returns the
global generator), ``torch.default_generator``, and the methods that seed a generator or replace
its state."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import UNHANDLED, CallSite
from reprolint.semantic.flow.state import FRESH, RECEIVED, UNSEEDED
from reprolint.semantic.model import GeneratorState
from reprolint.semantic.values import Const, Generator, GeneratorObject


def created_generator(flow, site: CallSite):
    """``torch.Generator(device)``: a new, unseeded object, one per creation site (the same
    object on every round of the analysis, with the device seen last)."""
    fact = site.fact
    device_arg = fact.keyword("device") or fact.positional(0)
    device = device_arg.value if device_arg is not None else Const("cpu")
    obj = flow.created_generators.get(fact.node)
    if obj is None:
        obj = GeneratorObject(fact.node, device, "torch.Generator(...)")
        flow.created_generators[fact.node] = obj
    else:
        obj.device = device
    site.state.gens[obj] = UNSEEDED
    return Generator(obj)


def global_generator_returned(flow, site: CallSite):
    """``torch.manual_seed(s)`` seeds the global generator (the engine notes that for every
    seeding call) and returns it."""
    return Generator(flow.global_generator(), origin=site.fact.node)


def global_generator(flow):
    return Generator(flow.global_generator())


def manual_seed(flow, site: CallSite):
    site.state.gens[site.fact.receiver.obj] = FRESH
    return site.fact.receiver


def nondeterministic_seed(flow, site: CallSite):
    site.state.gens[site.fact.receiver.obj] = GeneratorState(frozenset({"nondet"}))
    return None


def state_replaced(flow, site: CallSite):
    site.state.gens[site.fact.receiver.obj] = RECEIVED
    return None


def generator_device(flow, node, base: Generator):
    return base.obj.device if base.obj.device is not None else UNHANDLED


NAMES = {
    **{name: created_generator for name in catalog.GENERATOR_CLASSES},
    **{name: global_generator_returned for name in catalog.GLOBAL_SEED_RETURNING_GENERATOR},
}
REFERENCES = {name: global_generator for name in catalog.GLOBAL_GENERATOR_NAMES}
METHODS = {
    (Generator, "manual_seed"): manual_seed,
    (Generator, "seed"): nondeterministic_seed,
    (Generator, "set_state"): state_replaced,
    (Generator, "clone_state"): state_replaced,
}
ATTRIBUTES = {(Generator, "device"): generator_device}
