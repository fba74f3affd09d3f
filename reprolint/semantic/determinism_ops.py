"""Operations that raise under deterministic algorithms, and where a module meets them.

The table (``reprolint/data/determinism.json``) is generated from torch's own documentation by
``scripts/generate_determinism_table.py``; this module reads a call against it and decides,
statically and only where it can, whether the documented conditions hold:

- *differentiated*: the op runs in a training module (a backward pass, or a Lightning
  ``training_step``) inside a ``torch.nn.Module``'s ``forward``/``training_step``, or it is a
  layer built inside such a class, and no ``torch.no_grad()``/``inference_mode()`` encloses it.
  An op on a ``forward`` parameter as it came in, in a class no other model class builds (the
  top-level model, fed data), is undecided;
  An op on data outside a model (resizing a mask in the training loop) may well not require
  grad: undecided, so not reported;
- an *argument* condition: decided from a literal, or from the documented default when the call
  does not pass it; a value that is not a literal leaves it undecided;
- *on CUDA*: the module places work on a GPU (``model.placements``), or trains through
  accelerate's ``Accelerator`` or a Lightning ``Trainer`` on a GPU accelerator.

Additive to the flow analysis (``analyzer.py``): these facts are read off the model's calls and
the shared syntax index, never computed by the rule.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Optional

import libcst as cst

from reprolint.semantic import catalog, project_facts
from reprolint.semantic.definitions import enclosing_definitions, parameters
from reprolint.semantic.tree import walk
from reprolint.semantic.values import Const, possible_values

# Classes whose subclasses are models that a backward pass differentiates.
MODULE_BASES = frozenset({
    "torch.nn.Module",
    "diffusers.ModelMixin",
    "diffusers.models.ModelMixin",
    "diffusers.models.modeling_utils.ModelMixin",
    "lightning.LightningModule",
    "lightning.pytorch.LightningModule",
    "pytorch_lightning.LightningModule",
})
# Methods of such a class whose body a training step differentiates.
DIFFERENTIATED_METHODS = frozenset({"forward", "training_step", "__call__"})
NO_GRAD_CONTEXTS = frozenset({
    "torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad",
})
SET_GRAD_ENABLED = frozenset({"torch.set_grad_enabled", "torch.autograd.set_grad_enabled"})
SET_DETERMINISTIC_DEBUG_MODE = frozenset({"torch.set_deterministic_debug_mode"})
# ``enable_full_determinism`` helpers that take a ``warn_only`` argument (transformers').
_WARN_ONLY_HELPERS = frozenset({
    "transformers.enable_full_determinism", "transformers.trainer_utils.enable_full_determinism",
})


@functools.lru_cache(maxsize=None)
def table() -> dict:
    text = resources.files("reprolint.data").joinpath("determinism.json").read_text("utf-8")
    return json.loads(text)


def table_version() -> str:
    """``torch 2.13.0``: the release whose documentation the table was generated from."""
    return table()["generated_from"]


@functools.lru_cache(maxsize=None)
def _index() -> tuple:
    """(qualified name -> [(entry, argument conditions, form)], method name -> [...])."""
    by_name: dict = {}
    by_method: dict = {}
    for entry in table()["raises"]:
        if entry["undecided"]:
            continue
        target = entry["target"]
        if entry["kind"] == "method":
            by_method.setdefault(target.rsplit(".", 1)[-1], []).append((entry, entry["arguments"], "method"))
            continue
        by_name.setdefault(target, []).append((entry, entry["arguments"], entry["kind"]))
        if entry["kind"] == "function" and target.count(".") == 1:
            # ``torch.histc(x)`` is also ``x.histc()``: the same op, without ``input``.
            by_method.setdefault(target.rsplit(".", 1)[-1], []).append((entry, entry["arguments"], "tensor-method"))
        functional = entry.get("functional")
        if functional:
            by_name.setdefault(functional["target"], []).append(
                (entry, entry["arguments"] + functional["arguments"], "functional"))
    return by_name, by_method


@dataclass
class RaisingOp:
    """A call of an op that torch documents as raising under deterministic algorithms, with
    every documented condition decided true."""

    call: object  # CallFact
    entry: dict
    form: str  # "class", "function", "functional", "method", "tensor-method"
    reasons: tuple  # the argument conditions that hold, as text: ``mode='bilinear'``

    @property
    def differentiated(self) -> bool:
        return self.entry["differentiated"]

    @property
    def cuda(self) -> bool:
        return self.entry["cuda"]


def raising_ops(model) -> list:
    """Every call whose op raises under deterministic algorithms once the documented argument
    conditions hold (the device and differentiation conditions are left to the caller:
    ``runs_on_cuda``, ``is_differentiated``)."""
    by_name, by_method = _index()
    found = []
    for call in model.calls:
        candidates = by_name.get(call.qualname, ()) if call.qualname else ()
        if not candidates and call.qualname is None and call.method:
            candidates = by_method.get(call.method, ())
        for entry, conditions, form in candidates:
            reasons = _conditions_hold(call, conditions, shift=1 if form == "tensor-method" else 0)
            if reasons is not None:
                found.append(RaisingOp(call, entry, form, tuple(reasons)))
                break
    return found


def _conditions_hold(call, conditions: list, shift: int) -> Optional[list]:
    """The conditions as text when each holds; None when one fails or cannot be decided."""
    reasons = []
    for condition in conditions:
        name, position = condition["name"], condition.get("position")
        arg = call.argument_for(name, position, shift)
        if arg is None and (call.star_args or call.passes(name) is None):
            return None  # ``*args``/``**kwargs`` may carry it
        if condition.get("given"):
            if arg is None or (isinstance(arg.value, Const) and arg.value.value is None):
                return None
            reasons.append(f"`{name}` given")
            continue
        if arg is None:
            if "default" not in condition:
                return None
            values = [condition["default"]]
        else:
            options = possible_values(arg.value)
            if not options or not all(isinstance(o, Const) for o in options):
                return None
            values = [o.value for o in options]
        wanted = condition.get("in", [condition.get("equals")])
        if not all(v in wanted and type(v) is type(wanted[0]) for v in values):
            return None
        reasons.append(f"{name}={values[0]!r}")
    return reasons


# -- the module around the op


def strict_determinism_setups(model) -> list:
    """The module's lasting determinism setups that make a nondeterministic op raise rather than
    warn: ``use_deterministic_algorithms(True)`` without ``warn_only=True``, diffusers'
    ``enable_full_determinism()``, ``set_seed(..., deterministic=True)``,
    ``Trainer(deterministic=True)`` (not ``"warn"``), ``set_deterministic_debug_mode("error")``,
    and a call of a project function, of this module or another, that makes one of the first two
    (without ``warn_only``), directly or through the project functions it calls (the project
    index's typed facts)."""
    found = []
    for call in model.lasting_determinism_setups:
        q = call.qualname
        if q in catalog.USE_DETERMINISTIC_ALGORITHMS or q in _WARN_ONLY_HELPERS:
            if _is_false(call.keyword("warn_only")) and call.passes("warn_only") is not None:
                found.append(call)
        elif q in catalog.ENABLE_FULL_DETERMINISM:
            found.append(call)
        elif q in catalog.SET_SEED_WITH_DETERMINISTIC or q in catalog.LIGHTNING_TRAINERS:
            arg = call.keyword("deterministic")
            if arg is not None and isinstance(arg.value, Const) and arg.value.value is True:
                found.append(call)
    for call in model.calls_to(*SET_DETERMINISTIC_DEBUG_MODE):
        arg = call.positional(0) or call.keyword("debug_mode")
        if arg is not None and isinstance(arg.value, Const) and arg.value.value in ("error", 2):
            found.append(call)
    seen = {id(call) for call in found}
    found += [call for call in model.calls if id(call) not in seen
              and model.call_does(call, project_facts.SWITCHES_DETERMINISTIC_RAISING)]
    return sorted(found, key=lambda call: model.line(call.node))


def _is_false(arg) -> bool:
    """An absent argument, or a literal false one."""
    if arg is None:
        return True
    return isinstance(arg.value, Const) and arg.value.value in (False, 0, None)


def runs_on_cuda(model) -> bool:
    """The module places a model or pipeline on a GPU, or trains through accelerate's
    ``Accelerator`` (its default device is the GPU) or a Lightning ``Trainer`` given a GPU
    accelerator."""
    if model.placements or model.calls_to(*catalog.ACCELERATOR_CLASSES):
        return True
    for call in model.calls_to(*catalog.LIGHTNING_TRAINERS):
        arg = call.keyword("accelerator")
        if arg is not None and isinstance(arg.value, Const) and arg.value.value in ("gpu", "cuda"):
            return True
        if call.keyword("gpus") is not None:
            return True
    return False


def is_differentiated(model, op: RaisingOp) -> bool:
    """Whether the op's backward runs when the module trains: a layer built inside a model class
    (or inside ``nn.Sequential(...)``), or a functional call in a model's ``forward``, with no
    ``no_grad``/``inference_mode`` around it. Anything else is undecided (False)."""
    parents = model.syntax.parents
    if _under_no_grad(model, op.call.node):
        return False
    definitions = list(enclosing_definitions(parents, op.call.node))
    if op.form == "class":
        if any(isinstance(d, cst.ClassDef) and is_model_class(model, d) for d in definitions):
            return True
        parent = parents.get(parents.get(op.call.node))  # Arg -> Call
        outer = model.call_fact(parent) if isinstance(parent, cst.Call) else None
        return outer is not None and outer.qualname in ("torch.nn.Sequential", "torch.nn.ModuleList")
    for inner, outer in zip(definitions, definitions[1:]):
        if (isinstance(inner, cst.FunctionDef) and inner.name.value in DIFFERENTIATED_METHODS
                and isinstance(outer, cst.ClassDef) and is_model_class(model, outer)):
            return not _on_raw_input(model, op.call, inner, outer)
    return False


def _on_raw_input(model, call, method: cst.FunctionDef, owner: cst.ClassDef) -> bool:
    """The op reads a parameter of ``forward`` as it came in (``F.interpolate(image, ...)`` before
    anything reassigns ``image``), in a class that no other model class of the module builds: the
    top-level model, whose input is data that needs no gradient. A class built inside another
    model (``self.up = Upsample(64)``) gets activations, which do."""
    arg = call.positional(0) or call.keyword("input")
    if arg is None or not isinstance(arg.node.value, cst.Name):
        return False
    name = arg.node.value.value
    if name not in {param.name.value for param in parameters(method)}:
        return False
    line = model.line(call.node)
    for node in walk(method.body):
        if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)) and model.line(node) < line:
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                return False
    return not _built_inside_another_model(model, owner)


def _built_inside_another_model(model, owner: cst.ClassDef) -> bool:
    parents = model.syntax.parents
    for call in model.calls:
        func = call.node.func
        if not (isinstance(func, cst.Name) and func.value == owner.name.value):
            continue
        for definition in enclosing_definitions(parents, call.node):
            if isinstance(definition, cst.ClassDef) and definition is not owner and is_model_class(model, definition):
                return True
    return False


def is_model_class(model, node: cst.ClassDef) -> bool:
    """A class deriving from ``torch.nn.Module`` (or diffusers' ``ModelMixin``, a Lightning
    module), directly or through a class of the same module."""
    classes = model.memo("determinism_ops.classes", _classes_by_name)
    seen = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for base in current.bases:
            qualified = model.imports.resolve(base.value)
            if qualified in MODULE_BASES:
                return True
            if isinstance(base.value, cst.Name) and base.value.value in classes:
                stack.append(classes[base.value.value])
    return False


def _classes_by_name(module: cst.Module) -> dict:
    return {stmt.name.value: stmt for stmt in module.body if isinstance(stmt, cst.ClassDef)}


def _under_no_grad(model, node: cst.CSTNode) -> bool:
    parents = model.syntax.parents
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, cst.With) and child is parent.body:
            if any(_disables_grad(model, item.item) for item in parent.items):
                return True
        elif isinstance(parent, cst.FunctionDef) and child is parent.body:
            if any(_disables_grad(model, d.decorator) for d in parent.decorators):
                return True
        child = parent
    return False


def _disables_grad(model, expr: cst.CSTNode) -> bool:
    func = expr.func if isinstance(expr, cst.Call) else expr
    qualified = model.imports.resolve(func)
    if qualified in NO_GRAD_CONTEXTS:
        return True
    if qualified in SET_GRAD_ENABLED and isinstance(expr, cst.Call) and expr.args:
        value = expr.args[0].value
        return isinstance(value, cst.Name) and value.value == "False"
    return False


# -- what undoes a determinism setup -----------------------------------------------------------

@dataclass(frozen=True)
class UndoingSwitch:
    node: cst.CSTNode
    kind: str  # "xformers", "compile" or "tf32"
    description: str  # as a finding names it: `enable_xformers_memory_efficient_attention()`


def undoing_switches(model) -> list:
    """What in the module makes results vary although it sets up determinism, in order: xFormers
    attention, ``torch.compile`` (whether it still does depends on the target torch: the caller
    decides), and TF32 (a high or medium float32 matmul precision, a TF32 switch set to True).
    RPL305 reports them; RPL301's fix stays away from a module that has one."""
    found = []
    for call in model.calls:
        if call.method in catalog.XFORMERS_ATTENTION_METHODS:
            found.append(UndoingSwitch(call.node, "xformers", f"`{call.method}()`"))
        elif call.qualname in catalog.TORCH_COMPILE:
            found.append(UndoingSwitch(call.node, "compile", "`torch.compile`"))
        elif call.qualname in catalog.SET_FLOAT32_MATMUL_PRECISION:
            arg = call.positional(0) or call.keyword("precision")
            if arg is not None and isinstance(arg.value, Const) and arg.value.value in ("high", "medium"):
                found.append(UndoingSwitch(call.node, "tf32", f'`set_float32_matmul_precision("{arg.value.value}")`'))
    for assignment in model.assignments_to(*catalog.TF32_SWITCHES):
        if isinstance(assignment.value, Const) and assignment.value.value is True:
            found.append(UndoingSwitch(assignment.statement, "tf32", f"`{assignment.qualified} = True`"))
    return found
