"""A project's own schedulers and samplers, and the draws from torch's global RNG in their steps.

A scheduler or sampler class defined in the module (named ``*Scheduler``/``*Sampler``, or
deriving from diffusers' ``SchedulerMixin``) whose ``step``/``sample``/``__call__`` draws noise
with ``torch.randn(...)`` and no ``generator=``: a seed given to the pipeline that drives it does
not reach that noise. Additive to the flow analysis: read off the model's calls and the shared
syntax index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from reprolint.semantic.definitions import enclosing_definitions, parameters
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.tree import walk

NOISE_METHODS = frozenset({"step", "sample", "__call__"})
# The global-RNG draws of the rule: the usual ways a sampler makes its noise.
NOISE_DRAWS = frozenset({
    "torch.randn", "torch.randn_like", "torch.rand", "torch.rand_like", "torch.randint", "torch.normal",
    "diffusers.utils.torch_utils.randn_tensor", "diffusers.utils.randn_tensor",
})
SCHEDULER_MIXIN = "SchedulerMixin"
# Samplers of the data loader: they draw indices, not noise, and are no pipeline's.
DATA_SAMPLER_PACKAGES = ("torch.utils.data",)


# The text every finding needs (a class named so, or a SchedulerMixin base), checked before the
# syntax index is asked.
_DECLARES_NOISE_CLASS = re.compile(r"class\s+\w*(?:Scheduler|Sampler)\b|SchedulerMixin")


@dataclass
class GlobalNoiseDraw:
    call: object  # CallFact of the draw
    method: cst.FunctionDef
    owner: cst.ClassDef


def _noise_class_kind(model, node: cst.ClassDef):
    """"diffusers" (a ``SchedulerMixin`` subclass: diffusers' pipelines pass their generator to
    its ``step``), "named" (a ``*Scheduler`` or ``*Sampler`` class, not a data-loader sampler),
    or None."""
    name = node.name.value
    for base in node.bases:
        qualified = model.imports.resolve(base.value) or ""
        if qualified.startswith(DATA_SAMPLER_PACKAGES):
            return None
        written = qualified or (base.value.value if isinstance(base.value, cst.Name) else "")
        if written.rsplit(".", 1)[-1] == SCHEDULER_MIXIN:
            return "diffusers"
    return "named" if name.endswith(("Scheduler", "Sampler")) else None


def uses_generators(model) -> bool:
    """The module works with explicit generators (it imports diffusers, or mentions
    ``generator``): a seed there travels as a generator, which a sampler drawing from the global
    RNG does not follow. A module that never does seeds the process (``seed_everything``), and
    its samplers follow that seed."""
    return model.imports.imports_module("diffusers") or "generator" in model.source


def _is_fallback(model, call, method: cst.FunctionDef) -> bool:
    """The draw only fills in a value the caller may pass: ``noise if noise is not None else
    torch.randn(...)``, ``default(rand, torch.randn(...))``, ``if x_T is None: x_T = torch.randn(...)``.
    The method then takes the noise itself, which is a way to control it."""
    names = {param.name.value for param in parameters(method)}
    parents = model.syntax.parents
    child = call.node
    while child in parents and child is not method:
        parent = parents[child]
        if isinstance(parent, (cst.If, cst.IfExp)) and child is not parent.test:
            if _none_check_of(parent.test) & names:
                return True
        if isinstance(parent, cst.Call) and dotted_name(parent.func) in ("default", "exists"):
            if any(isinstance(a.value, cst.Name) and a.value.value in names for a in parent.args):
                return True
        child = parent
    return False


def _names_generator(name: str) -> bool:
    lowered = name.lower()
    return "generator" in lowered or "rng" in lowered


def takes_generator(method: cst.FunctionDef) -> bool:
    """A parameter that names a generator (``generator``, ``rng``, ``noise_generator``)."""
    return any(_names_generator(param.name.value) for param in parameters(method))


def holds_generator(owner: cst.ClassDef) -> bool:
    """The class keeps a generator on itself (``self.generator = ...``, ``self._rng``): then its
    draws are RPL113's question (a held generator ignored), not this one."""
    for node in walk(owner.body):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
            if _names_generator(node.attr.value):
                return True
    return False


def _none_check_of(test) -> set:
    """The names a test checks for a value: ``x is None``, ``x is not None``, ``not x``, ``x``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    if isinstance(test, cst.Name):
        return {test.value}
    if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot))
            and isinstance(test.comparisons[0].comparator, cst.Name) and test.comparisons[0].comparator.value == "None"
            and isinstance(test.left, cst.Name)):
        return {test.left.value}
    return set()


def project_sampler_global_draws(model) -> list:
    """Every draw from torch's global RNG, without ``generator=``, made directly in the
    ``step``/``sample``/``__call__`` of a scheduler or sampler class of this module that takes no
    generator and holds none; for a class that is no ``SchedulerMixin``, only in a module that
    uses generators (elsewhere the process seed is the only seed, and it does reach the draw). Not a
    draw after the global RNG was seeded on every path, nor one that only fills in noise the
    caller may pass."""
    if not _DECLARES_NOISE_CLASS.search(model.source):
        return []
    found = []
    verdicts: dict = {}
    parents = model.syntax.parents
    for call in model.calls:
        if call.qualname not in NOISE_DRAWS or call.passes("generator") is not False or call.star_args:
            continue
        definitions = list(enclosing_definitions(parents, call.node))
        if len(definitions) < 2:
            continue
        method, owner = definitions[0], definitions[1]
        if not (isinstance(method, cst.FunctionDef) and isinstance(owner, cst.ClassDef)
                and method.name.value in NOISE_METHODS):
            continue
        key = id(method)
        if key not in verdicts:
            kind = _noise_class_kind(model, owner)
            verdicts[key] = (kind is not None and (kind == "diffusers" or uses_generators(model))
                             and not takes_generator(method) and not holds_generator(owner))
        if verdicts[key] and not call.global_seeded and not _is_fallback(model, call, method):
            found.append(GlobalNoiseDraw(call, method, owner))
    return found
