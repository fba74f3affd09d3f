"""Seeding under a test of the seed: ``if args.seed is not None: torch.manual_seed(args.seed)``.

Whether such code seeds depends on the value the entry point gives the seed. Where it comes from
an argparse option whose default is known (``add_argument("--seed", type=int, default=42)``), a
run that does not override the option seeds; with ``default=None`` it does not (that finding is
right). This module reads the tests that guard a seeding (with the stdlib ``ast`` for the
project summaries; the flow reads the same tests with ``flow.syntax.seed_test``) and tells
whether a known value passes them. Stdlib only: pass 1 and a cached run never import libcst.

Guards are kept narrow on purpose: ``X is not None``, ``X`` (a truth test), and the ``else`` of
``X is None`` / ``not X``, where ``X`` is a name or a dotted name. Any other test around a
seeding says nothing here, and the caller keeps what it did before.
"""

from __future__ import annotations

import ast
from typing import Optional

from reprolint.semantic import catalog

NOT_NONE = "not-none"  # ``if X is not None:``
TRUTHY = "truthy"  # ``if X:``

# What ``options`` records for an option whose value the module does not pin down.
UNKNOWN_DEFAULT = "<unknown>"
# A ``required=True`` option: never None when parsed from the command line, its value not known.
REQUIRED = "<required>"


# ---------------------------------------------------------------------- argparse options (ast)

def note_option(options: dict, call: ast.Call) -> None:
    """Record what ``parser.add_argument("--seed", type=int, default=42)`` (or
    ``parser.set_defaults(seed=...)``) says of a seed-named option's default."""
    method = call.func.attr if type(call.func) is ast.Attribute else None
    if method == "set_defaults":
        for keyword in call.keywords:
            if keyword.arg and catalog.names_a_seed(keyword.arg):
                _merge(options, keyword.arg, _default_of(keyword.value))
        return
    if method != "add_argument" or not call.args:
        return
    flags = [a.value for a in call.args if type(a) is ast.Constant and isinstance(a.value, str)]
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    dest_node = keywords.get("dest")
    if type(dest_node) is ast.Constant and isinstance(dest_node.value, str):
        dest = dest_node.value
    else:
        long_flags = [f for f in flags if f.startswith("--")]
        chosen = long_flags[0] if long_flags else (flags[0] if flags else None)
        if chosen is None:
            return
        dest = chosen.lstrip("-").replace("-", "_")
    if not catalog.names_a_seed(dest):
        return
    action = keywords.get("action")
    if action is not None:
        _merge(options, dest, UNKNOWN_DEFAULT)  # store_true, append, a custom action: not an int seed
        return
    required = keywords.get("required")
    if "default" in keywords:
        default = _default_of(keywords["default"])
    elif type(required) is ast.Constant and required.value is True:
        default = REQUIRED
    elif any(not f.startswith("-") for f in flags):
        default = REQUIRED  # a positional argument: always given
    else:
        default = None  # argparse's own default
    type_node = keywords.get("type")
    if default not in (None, REQUIRED, UNKNOWN_DEFAULT) and not (
            type_node is None or (type(type_node) is ast.Name and type_node.id == "int")):
        default = UNKNOWN_DEFAULT
    _merge(options, dest, default)


def _default_of(node) -> object:
    if type(node) is ast.Constant and (node.value is None or type(node.value) is int):
        return node.value
    if (type(node) is ast.UnaryOp and type(node.op) is ast.USub and type(node.operand) is ast.Constant
            and type(node.operand.value) is int):
        return -node.operand.value
    return UNKNOWN_DEFAULT


def _merge(options: dict, dest: str, default) -> None:
    """Two declarations of one option (two parsers in a module) that disagree: not known."""
    if dest in options and options[dest] != default:
        options[dest] = UNKNOWN_DEFAULT
    else:
        options[dest] = default


# ---------------------------------------------------------------------- guards of a seeding (ast)

def ast_guards(test, params: set) -> tuple:
    """(guard of the ``if`` body, guard of its ``else``) for a test of a parameter
    (``seed``) or of a parameter's attribute (``args.seed``); a guard is
    ``[parameter, attribute or "", kind]``, None where the test is not one of these."""
    kind = type(test)
    if kind is ast.Compare and len(test.ops) == 1 and type(test.comparators[0]) is ast.Constant \
            and test.comparators[0].value is None:
        operand = _ast_operand(test.left, params)
        if operand is None:
            return None, None
        if type(test.ops[0]) is ast.IsNot:
            return [*operand, NOT_NONE], None
        if type(test.ops[0]) is ast.Is:
            return None, [*operand, NOT_NONE]
        return None, None
    if kind is ast.UnaryOp and type(test.op) is ast.Not:
        operand = _ast_operand(test.operand, params)
        return (None, [*operand, TRUTHY]) if operand is not None else (None, None)
    operand = _ast_operand(test, params)
    return ([*operand, TRUTHY], None) if operand is not None else (None, None)


def _ast_operand(node, params: set) -> Optional[list]:
    if type(node) is ast.Name and node.id in params:
        return [node.id, ""]
    if type(node) is ast.Attribute and type(node.value) is ast.Name and node.value.id in params:
        return [node.value.id, node.attr]
    return None


# ---------------------------------------------------------------------- verdicts

def passes(kind: str, value) -> Optional[bool]:
    """Whether a seed known to be ``value`` (an int, None, ``REQUIRED`` or ``UNKNOWN_DEFAULT``)
    passes a guard of ``kind``; None when that is not known."""
    if value == UNKNOWN_DEFAULT or isinstance(value, bool):
        return None
    if kind == NOT_NONE:
        return value is not None
    if kind == TRUTHY:
        if value is None:
            return False
        if value == REQUIRED:
            return None  # ``--seed 0`` is a valid command line
        return value != 0
    return None


def option_value(label: Optional[str], options: dict):
    """What a dotted name (``args.seed``, ``self.args.seed``) holds when the entry point does not
    override it: the default of the argparse option of that name, or ``UNKNOWN_DEFAULT``. A plain
    name is not an option."""
    if not label or "." not in label:
        return UNKNOWN_DEFAULT
    return options.get(label.rsplit(".", 1)[-1], UNKNOWN_DEFAULT)
