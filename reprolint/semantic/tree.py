"""Fast walks over a libcst tree.

libcst's ``node.children`` rebuilds the node with a visitor to collect them: on a big module the
rules' walks spent most of a run there (a profile of the diffusers tree: 100 of 165 seconds).
``child_nodes`` reads the same fields directly, in the same order, which it learns from libcst
itself once per node class: the fields its ``_visit_and_replace_children`` visits.
"""

from __future__ import annotations

import inspect
import re
from typing import Iterator

import libcst as cst

_CSTNode = cst.CSTNode
_FIELDS: dict = {}  # node class -> its child fields, in libcst's visit order


# ``visit_required(self, "func", self.func, visitor)`` and its siblings name each field visited.
_VISITED_FIELD = re.compile(r"""visit_\w+\(\s*self\s*,\s*["'](\w+)["']""")


class _FieldOrder(cst.CSTVisitor):
    """Records the fields a node's ``_visit_and_replace_children`` announces, in order, without
    descending: the fallback where libcst's source cannot be read."""

    def __init__(self, parent: cst.CSTNode) -> None:
        self.parent = parent
        self.fields: list = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.parent and attribute not in self.fields:
            self.fields.append(attribute)


def _fields_of(node: cst.CSTNode) -> tuple:
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = _visited_fields(node)
    return fields


def _visited_fields(node: cst.CSTNode) -> tuple:
    """The fields libcst visits, in its order, read from the source of the class's
    ``_visit_and_replace_children``: a field visited only when set (an f-string's format spec)
    is named there even when this node leaves it empty."""
    method = type(node)._visit_and_replace_children
    try:
        fields = _VISITED_FIELD.findall(inspect.getsource(method))
    except (OSError, TypeError):
        fields = []
    if not fields:
        recorder = _FieldOrder(node)
        node._visit_and_replace_children(recorder)
        fields = recorder.fields
    return tuple(dict.fromkeys(fields))


def child_nodes(node: cst.CSTNode) -> list:
    """``node.children``, without rebuilding ``node``: the same nodes in the same order."""
    found = []
    for name in _fields_of(node):
        value = getattr(node, name)
        if isinstance(value, _CSTNode):
            found.append(value)
        elif type(value) is tuple or type(value) is list:
            found.extend(item for item in value if isinstance(item, _CSTNode))
    return found


def walk(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``root`` (``root`` included), depth first."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child_nodes(node))


def parent_map(module: cst.Module) -> dict:
    """Child node -> parent node, for the whole module (identity keys)."""
    parents: dict = {}
    stack = [module]
    while stack:
        node = stack.pop()
        for child in child_nodes(node):
            parents[child] = node
            stack.append(child)
    return parents


class SyntaxIndex:
    """One walk of a module, shared by every rule that needs more than the semantic model: each
    node's parent, and the nodes of each type in source order."""

    def __init__(self, module: cst.Module) -> None:
        parents: dict = {}
        by_type: dict = {}
        stack = [module]
        order = 0
        while stack:
            node = stack.pop()
            by_type.setdefault(type(node), []).append((order, node))
            order += 1
            children = child_nodes(node)
            for child in children:
                parents[child] = node
            stack.extend(reversed(children))  # popped in source order
        self.parents = parents
        self._by_type = by_type

    def nodes(self, *kinds: type) -> list:
        """The nodes of exactly these classes, in source order (a parent before its children)."""
        if len(kinds) == 1:
            return [node for _, node in self._by_type.get(kinds[0], ())]
        found = [entry for kind in kinds for entry in self._by_type.get(kind, ())]
        found.sort(key=lambda entry: entry[0])
        return [node for _, node in found]

    def encloses(self, outer: cst.CSTNode, node: cst.CSTNode) -> bool:
        """Whether ``node`` is ``outer`` or lies inside it."""
        parents = self.parents
        while node is not None:
            if node is outer:
                return True
            node = parents.get(node)
        return False
