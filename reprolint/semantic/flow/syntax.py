"""Small questions about libcst nodes that the flow engine and the family handlers ask."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.semantic.imports import dotted_name, iter_statements
from reprolint.semantic.seed_guards import NOT_NONE, TRUTHY
from reprolint.semantic.tree import child_nodes


class Unresolvable(Exception):
    """A constant expression the engine does not fold."""


def block(body):
    return body.body


def function_body(func: cst.FunctionDef):
    return func.body.body if isinstance(func.body, cst.IndentedBlock) else func.body.body


def first_param(func: cst.FunctionDef) -> Optional[str]:
    params = list(func.params.posonly_params) + list(func.params.params)
    return params[0].name.value if params else None


def positional_param_names(func: cst.FunctionDef) -> list:
    return [p.name.value for p in list(func.params.posonly_params) + list(func.params.params)]


def param_names(func) -> set:
    if not isinstance(func, cst.FunctionDef):
        return set()
    params = list(func.params.posonly_params) + list(func.params.params) + list(func.params.kwonly_params)
    return {p.name.value for p in params}


def self_assignments(func: cst.FunctionDef, self_name: str):
    """(attribute, value node) of every ``self.X = value`` in a method."""
    for stmt in iter_statements(function_body(func)):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    t = target.target
                    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == self_name:
                        yield t.attr.value, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                t = small.target
                if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == self_name:
                    yield t.attr.value, small.value


def is_zero(node) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 0


def compares(node, name: Optional[str]) -> bool:
    """Whether ``node`` is a comparison (other than ``is``/``is not``) involving ``name``."""
    if name is None or not isinstance(node, cst.Comparison):
        return False
    if any(isinstance(c.operator, (cst.Is, cst.IsNot)) for c in node.comparisons):
        return False
    return any(dotted_name(side) == name for side in [node.left] + [c.comparator for c in node.comparisons])


def is_main_guard(test) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = {s.value for s in sides if isinstance(s, cst.Name)}
    strings = {s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"} and isinstance(test.comparisons[0].operator, cst.Equal)


def const_subscript(node: cst.Subscript):
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.SimpleString):
        return value.evaluated_value
    if isinstance(value, cst.Integer):
        return int(value.evaluated_value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and isinstance(
            value.expression, cst.Integer):
        return -int(value.expression.evaluated_value)
    return None


def contains(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    if root is target:
        return True
    return any(contains(child, target) for child in child_nodes(root))


def fold(operator, left, right):
    if isinstance(operator, cst.Add):
        return left + right
    if isinstance(operator, cst.Subtract):
        return left - right
    if isinstance(operator, cst.Multiply):
        return left * right
    raise Unresolvable


def seed_test(test) -> tuple:
    """(tested expression, kind, True when the guarded block is the ``if`` body / False when it
    is the ``else``) of an ``if`` test that ``seed_guards`` reads, or (None, None, None)."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            if isinstance(target.operator, cst.IsNot):
                return test.left, NOT_NONE, True
            if isinstance(target.operator, cst.Is):
                return test.left, NOT_NONE, False
        return None, None, None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        if isinstance(test.expression, (cst.Name, cst.Attribute)):
            return test.expression, TRUTHY, False
        return None, None, None
    if isinstance(test, (cst.Name, cst.Attribute)):
        return test, TRUTHY, True
    return None, None, None
