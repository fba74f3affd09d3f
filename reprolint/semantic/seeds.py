"""Which names hold a seed: the evidence RPL201 needs before it calls a truth test a seed bug.

A name that merely contains ``seed`` is not enough: a gradio app's ``randomize_seed`` checkbox is
a bool, and ``if randomize_seed:`` is correct code. A *seed* is a value that

- reaches a seeding sink: ``torch.manual_seed(seed)``, ``g.manual_seed(seed + i)``,
  ``set_seed(args.seed)``, ``random.seed(seed)``, ``np.random.seed(seed)``, ``seed_everything``,
  ``np.random.default_rng(seed)``, a ``seed=`` keyword, or a seeding helper; or
- is int-typed: annotated ``int`` / ``Optional[int]``, defaulting to or assigned an int literal,
  declared ``add_argument("--seed", type=int)``, or ``seed or 1234``.

A bool-typed name (annotated ``bool``, defaulting to True/False, ``action="store_true"``) is never
a seed, whatever else is true of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import Const, possible_values
from reprolint.semantic.tree import child_nodes

# Calls (by qualified name) whose arguments are seeds, besides catalog.SEEDING_CALLS.
_SEED_TAKING_CALLS = frozenset({
    "numpy.random.default_rng",
    "numpy.random.RandomState",
    "numpy.random.Generator",
    "random.Random",
}) | catalog.GLOBAL_SEED_RETURNING_GENERATOR | catalog.SEED_EVERYTHING
# Methods whose arguments are seeds, whatever the receiver (``generator.manual_seed(s)``,
# ``rng.seed(s)``, ``torch.cuda.manual_seed_all(s)``).
_SEED_TAKING_METHODS = frozenset({"manual_seed", "manual_seed_all", "seed", "set_seed", "seed_everything"})


@dataclass
class SeedEvidence:
    """What the module says of each seed-named name, keyed by the name's last component
    (``seed`` for ``args.seed``), so a declaration (``add_argument("--seed", type=int)``) and a
    use (``if args.seed:``) meet."""

    int_typed: set = field(default_factory=set)
    bool_typed: set = field(default_factory=set)
    reaches_sink: set = field(default_factory=set)  # full dotted labels and last components

    def note_parameter(self, param: cst.Param, annotation_qualname: Optional[str]) -> None:
        name = param.name.value
        if not catalog.names_a_seed(name):
            return
        kind = _annotation_kind(param.annotation, annotation_qualname)
        if kind is None and param.default is not None:
            kind = _literal_kind(param.default)
        self._note(name, kind)

    def note_value(self, label: str, value) -> None:
        """``seed = 42``, ``randomize = True``: what an assignment binds."""
        last = label.rsplit(".", 1)[-1]
        if not catalog.names_a_seed(last):
            return
        options = possible_values(value)
        if options and all(isinstance(v, Const) and type(v.value) is bool for v in options):
            self._note(last, "bool")
        elif any(isinstance(v, Const) and type(v.value) is int for v in options):
            self._note(last, "int")

    def note_call(self, call, seeding_helper: bool = False) -> None:
        """A sink passes its arguments' names on; ``add_argument`` declares a type."""
        if call.method == "add_argument":
            self._note_argparse(call)
            return
        seeding = (seeding_helper or call.qualname in catalog.SEEDING_CALLS
                   or call.qualname in _SEED_TAKING_CALLS or call.method in _SEED_TAKING_METHODS)
        for argument in call.arguments:
            if seeding or (argument.keyword is not None and catalog.names_a_seed(argument.keyword)):
                for label in _names_in(argument.node.value):
                    self.reaches_sink.add(label)
                    self.reaches_sink.add(_key(label))

    def is_seed(self, label: str, test) -> bool:
        last = _key(label)
        if last in self.bool_typed:
            return False
        if label in self.reaches_sink or last in self.int_typed or last in self.reaches_sink:
            return True
        # ``seed or 1234``, ``SEED or random.randint(0, 2**32 - 1)``: an int default says what the
        # left side holds.
        return test.kind == "or" and isinstance(test.node, cst.BooleanOperation) and _makes_int(test.node.right)

    def _note_argparse(self, call) -> None:
        flag = call.positional(0)
        if flag is None or not isinstance(flag.value, Const) or not isinstance(flag.value.value, str):
            return
        dest_arg = call.keyword("dest")
        if dest_arg is not None and isinstance(dest_arg.value, Const) and isinstance(dest_arg.value.value, str):
            dest = dest_arg.value.value
        else:
            dest = flag.value.value.lstrip("-").replace("-", "_")
        if not catalog.names_a_seed(dest):
            return
        action = call.keyword("action")
        if action is not None and isinstance(action.value, Const) and action.value.value in (
                "store_true", "store_false", "BooleanOptionalAction"):
            self._note(dest, "bool")
            return
        type_arg = call.keyword("type")
        if type_arg is not None and isinstance(type_arg.node.value, cst.Name):
            self._note(dest, {"int": "int", "bool": "bool"}.get(type_arg.node.value.value))
        default = call.keyword("default")
        if default is not None:
            self._note(dest, _literal_kind(default.node.value))

    def _note(self, name: str, kind: Optional[str]) -> None:
        if kind == "int":
            self.int_typed.add(_key(name))
        elif kind == "bool":
            self.bool_typed.add(_key(name))


def _key(label: str) -> str:
    """``args.SEED`` and ``seed`` are one name: a module-level ``SEED`` constant feeds a
    ``seed`` parameter more often than two unrelated seeds share a module."""
    return label.rsplit(".", 1)[-1].lower()


_INT_MAKING_FUNCTIONS = frozenset({"randint", "randrange", "getrandbits", "int"})


def _makes_int(node) -> bool:
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.Call):
        name = dotted_name(node.func) or ""
        return name.rsplit(".", 1)[-1] in _INT_MAKING_FUNCTIONS
    return False


def _annotation_kind(annotation: Optional[cst.Annotation], qualname: Optional[str]) -> Optional[str]:
    if annotation is None:
        return None
    expr = annotation.annotation
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        expr = expr.slice[0].slice.value  # Optional[int]
    elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        expr = expr.left if not (isinstance(expr.left, cst.Name) and expr.left.value == "None") else expr.right
    if isinstance(expr, cst.Name) and expr.value in ("int", "bool"):
        return expr.value
    return None


def _literal_kind(node) -> Optional[str]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool"
    if isinstance(node, cst.Integer):
        return "int"
    return None


def _names_in(node) -> list:
    """The dotted names an argument expression reads: ``seed + i`` gives ``seed`` and ``i``."""
    labels = []
    stack = [node]
    while stack:
        current = stack.pop()
        label = dotted_name(current)
        if label is not None:
            labels.append(label)
            continue
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(child for child in child_nodes(current) if isinstance(child, cst.CSTNode))
    return labels
