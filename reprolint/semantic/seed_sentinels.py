"""Seeds compared with zero so that 0 means "pick a random seed".

``seed if seed > 0 else random.randint(...)`` and ``if seed <= 0: seed = random.randint(...)``
send seed 0, a valid seed, down the branch that replaces it. The ``-1`` convention (``seed >= 0``,
``seed == -1``, ``seed < 0``) treats 0 like any other seed and is correct. A comparison is read
by evaluating it at seed 0 and at seed 1: where the two differ, 0 is singled out, and the branch
that 0 takes is checked for a replacement of the seed made by a call.

Read off the shared syntax index; additive to the flow analysis.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from reprolint.semantic.catalog import names_a_seed
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.tree import walk

_OPERATORS = {
    cst.GreaterThan: operator.gt, cst.GreaterThanEqual: operator.ge, cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le, cst.Equal: operator.eq, cst.NotEqual: operator.ne,
}
# ``0 < seed`` is ``seed > 0``.
_FLIPPED = {operator.gt: operator.lt, operator.lt: operator.gt, operator.ge: operator.le,
            operator.le: operator.ge, operator.eq: operator.eq, operator.ne: operator.ne}


# A seed-named operand compared with an integer, in either order: the text every finding needs,
# checked before the syntax index is asked (most modules that mention seeds compare none).
_COMPARED_SEED = re.compile(r"(?i)seed\w*\s*(?:<=|>=|==|!=|<|>)\s*-?\d|\d\s*(?:<=|>=|==|!=|<|>)\s*[\w.]*seed")


@dataclass
class ZeroMeansRandom:
    node: cst.Comparison  # the comparison, where the finding is reported
    label: str  # the seed expression's source: ``seed``, ``args.seed``
    test: str  # the comparison's source: ``seed > 0``


def _integer(node) -> Optional[int]:
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(node.expression, cst.Integer):
        return -int(node.expression.value.replace("_", ""), 0)
    return None


def _seed_comparison(test) -> Optional[tuple]:
    """(seed label, truth at seed 0, truth at seed 1) for ``<seed> <op> <int>``, else None."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    compare = _OPERATORS.get(type(target.operator))
    if compare is None:
        return None
    left, right = test.left, target.comparator
    bound = _integer(right)
    if bound is None:
        bound, left, compare = _integer(left), right, _FLIPPED[compare]
    label = dotted_name(left)
    if bound is None or label is None or not names_a_seed(label.rsplit(".", 1)[-1]):
        return None
    return label, compare(0, bound), compare(1, bound)


def _has_call(node) -> bool:
    return any(isinstance(n, cst.Call) for n in walk(node))


def _replaces_seed(branch, label: str) -> bool:
    """The branch assigns the seed a value computed by a call (``seed = random.randint(...)``)."""
    for node in walk(branch):
        if isinstance(node, cst.Assign) and any(dotted_name(t.target) == label for t in node.targets):
            if _has_call(node.value):
                return True
    return False


def zero_means_random(model) -> list:
    if not _COMPARED_SEED.search(model.source):
        return []
    found = []
    for node in model.syntax.nodes(cst.IfExp, cst.If):
        read = _seed_comparison(node.test)
        if read is None:
            continue
        label, at_zero, at_one = read
        if at_zero == at_one:
            continue  # 0 is treated like any other seed (the -1 convention)
        if isinstance(node, cst.IfExp):
            taken = node.body if at_zero else node.orelse
            replaced = dotted_name(taken) != label and _has_call(taken)
        else:
            taken = node.body if at_zero else node.orelse
            replaced = taken is not None and _replaces_seed(taken, label)
        if replaced:
            found.append(ZeroMeansRandom(node.test, label, model.code(node.test).strip()))
    return found
