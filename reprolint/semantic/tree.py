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


_SUBCLASS: dict = {}  # (class, base) -> issubclass(class, base)


def is_subclass(kind: type, base: type) -> bool:
    """``issubclass(kind, base)``, remembered: libcst's node bases are ABCs, whose isinstance()
    and issubclass() are slow on a hot path."""
    answer = _SUBCLASS.get((kind, base))
    if answer is None:
        answer = _SUBCLASS[(kind, base)] = issubclass(kind, base)
    return answer


def _is_node_type(kind: type) -> bool:
    answer = _NODE_TYPES.get(kind)
    if answer is None:
        answer = _NODE_TYPES[kind] = issubclass(kind, _CSTNode)
    return answer


_NODE_TYPES: dict = {}  # class -> whether it is a libcst node (the hot path of child_nodes)


def child_nodes(node: cst.CSTNode) -> list:
    """``node.children``, without rebuilding ``node``: the same nodes in the same order."""
    found = []
    fields = _FIELDS.get(type(node)) or _fields_of(node)
    is_node = _NODE_TYPES.get
    for name in fields:
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            for item in value:
                flag = is_node(type(item))
                if flag or (flag is None and _is_node_type(type(item))):
                    found.append(item)
        else:
            flag = is_node(kind)
            if flag or (flag is None and _is_node_type(kind)):
                found.append(value)
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


# Layout and punctuation: no rule asks about them, and in a long literal they are most of the
# nodes, so the shared index neither records nor enters them.
LAYOUT = (cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.EmptyLine, cst.TrailingWhitespace,
          cst.Newline, cst.Comment, cst.Comma, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
          cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Dot, cst.Colon,
          cst.Semicolon, cst.AssignEqual)


_CONSTANTS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)
_DISPLAYS = (cst.List, cst.Tuple, cst.Set, cst.Dict)
# Below this many elements a display is walked like any node: checking it would save nothing.
LONG_DISPLAY = 64


def _is_constant(node) -> bool:
    kind = type(node)
    if kind in _CONSTANTS:
        return True
    if kind is cst.Name:
        return node.value in ("True", "False", "None")
    if kind is cst.UnaryOperation:
        return type(node.operator) is cst.Minus and type(node.expression) in _CONSTANTS
    if kind is cst.ConcatenatedString:
        return _is_constant(node.left) and _is_constant(node.right)
    if kind in _DISPLAYS:
        return _constant_display(node)
    return False


def _constant_display(node) -> bool:
    """A list, tuple, set or dict display of constants only (nested displays included): a
    generated table, in which no rule has anything to find."""
    for element in node.elements:
        if type(element) is cst.DictElement:
            if not (_is_constant(element.key) and _is_constant(element.value)):
                return False
        elif type(element) is not cst.Element or not _is_constant(element.value):
            return False
    return True


class SyntaxIndex:
    """One walk of a module, shared by every rule that needs more than the semantic model: each
    node's parent, and the nodes of each type in source order. Left out: layout and punctuation
    nodes (``LAYOUT``), and what lies inside a long display of constants (a generated table):
    the display itself is indexed, not its elements."""

    def __init__(self, module: cst.Module) -> None:
        parents: dict = {}
        by_type: dict = {}
        stack = [module]
        order = 0
        layout = frozenset(LAYOUT)
        displays = frozenset(_DISPLAYS)
        while stack:
            node = stack.pop()
            kind = type(node)
            by_type.setdefault(kind, []).append((order, node))
            order += 1
            if kind in displays and len(node.elements) >= LONG_DISPLAY and _constant_display(node):
                continue
            children = [child for child in child_nodes(node) if type(child) not in layout]
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


def literal_value(node):
    """The value of an ``Integer``, ``Float``, ``SimpleString`` or ``ConcatenatedString`` node,
    as its ``evaluated_value`` gives it, without its cost where the text is plain: libcst runs
    ``ast.literal_eval`` (a whole parse) per literal, a second per element of a generated table.
    Raises what ``evaluated_value`` raises on a literal it cannot evaluate."""
    kind = type(node)
    text = getattr(node, "value", None)
    if kind is cst.Integer:
        return int(text.replace("_", ""), 0)
    if kind is cst.Float:
        return float(text.replace("_", ""))
    if kind is cst.SimpleString and len(text) >= 2 and text[0] in "\"'" and "\\" not in text:
        quote = text[:3] if text[:3] in ('"""', "'''") else text[0]
        if len(text) >= 2 * len(quote) and text.endswith(quote):
            return text[len(quote):-len(quote)]
    return node.evaluated_value
