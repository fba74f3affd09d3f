"""Which value a name is bound to, read off the tree: every binding of each name in a scope (a
function, or the module), and the one value of a name bound exactly once there.

Additive to the flow analysis, which follows values in execution order but forgets how a value
was written; a rule that needs the expression a name stands for (``styles`` in
``for style in styles``) asks here, through ``SemanticModel.name_lookup``.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.semantic.definitions import enclosing_definitions
from reprolint.semantic.tree import child_nodes


class NameLookup:
    """The one value a name is bound to in the scope where it is read (its function, else the
    module), when it is bound exactly once there by a plain ``name = value``."""

    def __init__(self, module: cst.Module, parents: dict, excluded: frozenset = frozenset()) -> None:
        self.module = module
        self.parents = parents
        self.excluded = excluded  # names being resolved already (``a = a | b`` loops)
        self._bindings: dict = {}

    def without(self, name: str) -> "NameLookup":
        lookup = NameLookup(self.module, self.parents, self.excluded | {name})
        lookup._bindings = self._bindings
        return lookup

    def rebinds(self, name: str) -> bool:
        return bool(self._scope_bindings(self.module).get(name))

    def single_binding(self, name_node: cst.Name) -> Optional[cst.BaseExpression]:
        name = name_node.value
        if name in self.excluded:
            return None
        scopes = [d for d in enclosing_definitions(self.parents, name_node) if isinstance(d, cst.FunctionDef)]
        for scope in scopes[:1] + [self.module]:
            bindings = self._scope_bindings(scope).get(name)
            if bindings:
                return bindings[0] if len(bindings) == 1 else None
        return None

    def _scope_bindings(self, scope) -> dict:
        """name -> [value or None for a binding that is not ``name = value``] for one scope."""
        if id(scope) in self._bindings:
            return self._bindings[id(scope)]
        found: dict = {}
        if isinstance(scope, cst.FunctionDef):
            for param in [*scope.params.params, *scope.params.posonly_params, *scope.params.kwonly_params]:
                found.setdefault(param.name.value, []).append(None)
        stack = list(child_nodes(scope.body)) if isinstance(scope, cst.FunctionDef) else list(child_nodes(scope))
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                found.setdefault(node.name.value, []).append(None)
                continue
            if isinstance(node, cst.Lambda):
                continue
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    for name in _names_in(target.target):
                        single = isinstance(target.target, cst.Name) and len(node.targets) == 1
                        found.setdefault(name, []).append(node.value if single else None)
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.AsName)):
                target = getattr(node, "target", None) or getattr(node, "name", None)
                for name in _names_in(target):
                    found.setdefault(name, []).append(None)
            elif isinstance(node, cst.ImportAlias):
                local = node.asname.name if node.asname else node.name
                for name in _names_in(local):
                    found.setdefault(name, []).append(None)
                continue
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and isinstance(
                    node.func.value, cst.Name) and node.func.attr.value in ("add", "update", "append", "extend"):
                # ``names.add(x)``: its elements are no longer only those it was bound to.
                found.setdefault(node.func.value.value, []).append(None)
            stack.extend(child_nodes(node))
        self._bindings[id(scope)] = found
        return found


def _names_in(target) -> list:
    if target is None or isinstance(target, (cst.Attribute, cst.Subscript)):
        return []
    if isinstance(target, cst.Name):
        return [target.value]
    names = []
    for child in child_nodes(target):
        names.extend(_names_in(child))
    return names
