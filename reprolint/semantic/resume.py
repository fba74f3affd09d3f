"""Resuming from a checkpoint: an optimizer's state loaded from a file, and whether any random
state is restored with it.

Read off the model's calls and the shared syntax index; additive to the flow analysis.
"""

from __future__ import annotations

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name

# Functions that read a checkpoint file.
CHECKPOINT_LOADS = frozenset({"torch.load", "safetensors.torch.load_file"})
# The last name of a project's own loading function (``dist_util.load_state_dict(path)``,
# ``utils.load_checkpoint(path)``): its result is read from a file too.
CHECKPOINT_LOADER_NAMES = frozenset({"load", "load_file", "load_state_dict", "load_checkpoint"})
# Calls that restore a random state.
RNG_RESTORES = frozenset({
    "torch.set_rng_state", "torch.random.set_rng_state",
    "torch.cuda.set_rng_state", "torch.cuda.set_rng_state_all",
    "torch.cuda.random.set_rng_state", "torch.cuda.random.set_rng_state_all",
    "numpy.random.set_state", "random.setstate",
})
# Methods that restore one: a generator's or a ``RandomState``'s ``set_state``, accelerate's
# ``Accelerator.load_state`` (restores Python's, numpy's, torch's and CUDA's states), Python's
# ``Random.setstate``.
RNG_RESTORING_METHODS = frozenset({"set_state", "setstate", "set_rng_state", "set_rng_state_all", "load_state"})
# Words in the name of a project helper that may restore them (``restore_rng``,
# ``set_random_state``, ``load_rng_state``): keeps the rule silent.
_RNG_HELPER_WORDS = ("rng", "random_state", "randomstate")
_CHECKPOINT_WORDS = ("ckpt", "checkpoint")


def optimizer_resumes(model) -> list:
    """The ``<optimizer>.load_state_dict(x)`` calls whose ``x`` comes from a checkpoint file:
    ``torch.load(...)`` itself, a name bound to it (or an item of it: ``ckpt["optimizer"]``), or a
    name that says it holds a checkpoint (``checkpoint``, ``ckpt``). The receiver is an optimizer
    when it is bound to a ``torch.optim`` class (or a ``bitsandbytes`` one) or named like one."""
    candidates = [call for call in model.calls if call.method == "load_state_dict" and call.arguments]
    if not candidates:
        return []
    # The names bound to optimizers and to loaded files ask the syntax index: only where a
    # ``load_state_dict`` call makes them worth it.
    loaded = _names_bound_to_loads(model)
    optimizers = _names_bound_to_optimizers(model)
    found = []
    for call in candidates:
        receiver = dotted_name(call.node.func.value)
        if receiver is None or not (receiver in optimizers or _names_optimizer(receiver.rsplit(".", 1)[-1])):
            continue
        if _from_checkpoint(model, call.arguments[0].node.value, loaded):
            found.append(call)
    return found


def _names_optimizer(name: str) -> bool:
    """``optimizer``, ``optim``, ``self.opt``, ``opt_g``, ``d_opt``: a name that says it holds an
    optimizer."""
    lowered = name.lower()
    return "optim" in lowered or lowered == "opt" or lowered.startswith("opt_") or lowered.endswith("_opt")


def restores_rng_state(model) -> bool:
    for call in model.calls:
        if call.qualname in RNG_RESTORES:
            return True
        if call.method in RNG_RESTORING_METHODS:
            return True
        written = dotted_name(call.node.func) or ""
        last = written.rsplit(".", 1)[-1].lower()
        if any(word in last for word in _RNG_HELPER_WORDS):
            return True
    return False


def uses_accelerate(model) -> bool:
    return bool(model.calls_to(*catalog.ACCELERATOR_CLASSES))


def _assigned_names(model, call) -> set:
    parent = model.syntax.parents.get(call.node)
    names = set()
    if isinstance(parent, (cst.Assign, cst.AnnAssign)):
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        for target in targets:
            name = dotted_name(target)
            if name:
                names.add(name)
    return names


def _names_bound_to_loads(model) -> set:
    names = set()
    for call in model.calls:
        if (call.qualname in CHECKPOINT_LOADS or call.method in CHECKPOINT_LOADER_NAMES
                or (call.method is None and _last_name(call) in CHECKPOINT_LOADER_NAMES)):
            names |= _assigned_names(model, call)
    return names


def _last_name(call) -> str:
    written = dotted_name(call.node.func) or ""
    return written.rsplit(".", 1)[-1]


def _names_bound_to_optimizers(model) -> set:
    names = set()
    for call in model.calls:
        q = call.qualname or ""
        if (q.startswith(("torch.optim.", "bitsandbytes.optim.")) and q.rsplit(".", 1)[-1][:1].isupper()
                and "lr_scheduler" not in q):
            names |= _assigned_names(model, call)
    return names


def _from_checkpoint(model, expr, loaded: set) -> bool:
    root = expr
    while True:
        if isinstance(root, cst.Subscript):
            root = root.value
        elif isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute) and root.func.attr.value == "get":
            root = root.func.value
        else:
            break
    if isinstance(root, cst.Call):
        fact = model.call_fact(root)
        return fact is not None and fact.qualname in CHECKPOINT_LOADS
    name = dotted_name(root)
    if name is None:
        return False
    return name in loaded or any(word in name.rsplit(".", 1)[-1].lower() for word in _CHECKPOINT_WORDS)
