"""Facts about function and class definitions that rules read off the tree directly: the
parameters of a function, the names it binds, and the definitions around a node.

Additive to the flow analysis (``analyzer.py``), which tracks values, not definitions; a rule
that needs "the function this draw is in" or "the names this function rebinds" asks here.
"""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from reprolint.semantic.imports import dotted_name
from reprolint.semantic.tree import child_nodes

DEFINITIONS = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def parameters(func) -> list:
    """Every named parameter of a function or lambda, ``*args``/``**kwargs`` included."""
    params = func.params
    named = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            named.append(extra)
    return named


class FunctionCalls:
    """How the calls of a module reach one parameter of one of its functions: by the function's
    name (an ``__init__``'s by its class's), and, positionally, past ``self`` where a method is
    called on an instance (``obj.m(...)``) or a class is called to construct it."""

    def __init__(self, parents: dict, func: cst.FunctionDef, name: str) -> None:
        positional = [p.name.value for p in list(func.params.posonly_params) + list(func.params.params)]
        self.name = name
        self.index = positional.index(name) if name in positional else None
        self.bound_method = bool(positional) and positional[0] in ("self", "cls")
        self.constructor = func.name.value == "__init__"
        self.names = {func.name.value}
        if self.constructor:
            owner = parents.get(parents.get(func))
            self.names = {owner.name.value} if isinstance(owner, cst.ClassDef) else set()

    def named_by(self, written: str) -> bool:
        """Whether a call written as ``written`` (``obj.m``, ``Trainer``) names the function."""
        return written.rsplit(".", 1)[-1] in self.names

    def argument(self, call, written: str):
        """What ``call`` (a ``CallFact`` written as ``written``) passes for the parameter."""
        skipped = 1 if self.bound_method and ("." in written or self.constructor) else 0
        return call.argument_for(self.name, self.index, skipped)


def is_static_or_class_method(func: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in func.decorators)


def enclosing_definitions(parents: dict, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The functions, lambdas and classes around ``node``, innermost first. A node in a
    parameter's default or a decorator belongs to the scope around the definition, not to it."""
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, DEFINITIONS) and _inside_body(parent, child):
            yield parent
        child = parent


def _inside_body(definition, child) -> bool:
    return child is definition.body


def bound_in(func) -> set:
    """The names a function binds anywhere in its body or parameters (nested definitions
    included, as an over-approximation): assignment and loop targets, ``with ... as``, imports,
    walrus targets, nested ``def``/``class`` names, ``except ... as``, ``global``/``nonlocal``."""
    names = {param.name.value for param in parameters(func)}
    stack = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor,
                             cst.AsName, cst.NamedExpr)):
            target = getattr(node, "target", None) or getattr(node, "name", None)
            names |= _target_names(target)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
        elif isinstance(node, cst.ImportAlias):
            names.add(node.asname.name.value if node.asname else node.evaluated_name.split(".")[0])
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            names |= {item.name.value for item in node.names}
        elif isinstance(node, cst.Param):
            names.add(node.name.value)
        stack.extend(child_nodes(node))
    return names


def _target_names(target) -> set:
    if target is None:
        return set()
    if isinstance(target, cst.Name):
        return {target.value}
    found = set()
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            continue  # ``a.b = ...`` / ``a[i] = ...`` bind no name
        else:
            stack.extend(child_nodes(node))
    return found


def free_names(expr: cst.CSTNode) -> set:
    """The names an expression reads (``torch`` in ``torch.Generator("cpu")``); attribute
    names and keyword names are not names."""
    found = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Arg):
            stack.append(node.value)
        else:
            stack.extend(child_nodes(node))
    return found
