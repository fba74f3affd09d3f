"""Generators a function or class holds, read off the tree: the ``torch.Generator(...)`` call an
expression creates its value with, the local names a function binds to a seeded generator, the
``self.<attr>`` a class keeps one in, and the parameters that stand for one.

Additive to the flow analysis (which follows generator objects through values): these facts
are about where a generator is written down, for rules that ask "does the function around this
draw hold a generator it could pass?"."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.definitions import is_static_or_class_method, parameters
from reprolint.semantic.imports import ImportTable, dotted_name
from reprolint.semantic.tree import child_nodes


def generator_creation(imports: ImportTable, expr: cst.BaseExpression) -> Optional[cst.Call]:
    """The ``torch.Generator(...)`` call that ``expr`` creates its value with:
    ``torch.Generator(...)`` itself, or it followed by ``.manual_seed(s)`` (which returns the
    generator), else None."""
    while (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
           and expr.func.attr.value == "manual_seed"):
        expr = expr.func.value
    if isinstance(expr, cst.Call) and imports.resolve(expr.func) in catalog.GENERATOR_CLASSES:
        return expr
    return None


def seeded_creation(imports: ImportTable, expr) -> Optional[cst.Call]:
    """The creation call when ``expr`` is ``torch.Generator(...).manual_seed(s)``."""
    creation = generator_creation(imports, expr)
    return creation if creation is not None and creation is not expr else None


def created_on_cpu(creation: cst.Call) -> bool:
    """``torch.Generator()`` / ``torch.Generator("cpu")`` / ``torch.Generator(device="cpu")``."""
    if not creation.args:
        return True
    if len(creation.args) != 1 or creation.args[0].star:
        return False
    arg = creation.args[0]
    if arg.keyword is not None and arg.keyword.value != "device":
        return False
    return isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value == "cpu"


def _annotation_names_generator(imports: ImportTable, annotation: Optional[cst.Annotation]) -> bool:
    if annotation is None:
        return False
    stack = [annotation.annotation]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)) and imports.resolve(node) in catalog.GENERATOR_CLASSES:
            return True
        if isinstance(node, cst.SimpleString):
            return "Generator" in node.value and "torch" in node.value
        if not isinstance(node, cst.Attribute):
            stack.extend(child_nodes(node))
    return False


def is_generator_parameter(imports: ImportTable, param: cst.Param) -> bool:
    """A parameter named ``generator`` (or ``*_generator``), or annotated ``torch.Generator``."""
    name = param.name.value
    return name == "generator" or name.endswith("_generator") or _annotation_names_generator(imports, param.annotation)


def seeded_generator_names(imports: ImportTable, func: cst.FunctionDef) -> dict:
    """Local names a function binds to a seeded generator: name -> (statement, on_cpu). Seeded
    where made (``torch.Generator().manual_seed(s)``) or by ``name.manual_seed(s)`` in the body."""
    created: dict = {}
    reseeded: set = set()
    stack = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if (isinstance(node, cst.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0].target, cst.Name)):
            creation = generator_creation(imports, node.value)
            if creation is not None:
                created[node.targets[0].target.value] = (node, creation, creation is not node.value)
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
              and node.func.attr.value == "manual_seed" and isinstance(node.func.value, cst.Name)):
            reseeded.add(node.func.value.value)
        stack.extend(child_nodes(node))
    return {name: (statement, created_on_cpu(creation)) for name, (statement, creation, seeded) in created.items()
            if seeded or name in reseeded}


def class_generators(imports: ImportTable, cls: cst.ClassDef) -> dict:
    """``self.<attr>`` a class's methods assign a seeded generator or a generator parameter to:
    attr -> (on_cpu, the method assigning it, the assignment)."""
    held: dict = {}
    for method in cls.body.body:
        if not isinstance(method, cst.FunctionDef) or is_static_or_class_method(method):
            continue
        params = parameters(method)
        if not params:
            continue
        self_name = params[0].name.value
        generator_params = {p.name.value for p in params[1:] if is_generator_parameter(imports, p)}
        stack = [method.body]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                for target in targets:
                    if not (isinstance(target, cst.Attribute) and dotted_name(target.value) == self_name):
                        continue
                    value = node.value
                    creation = seeded_creation(imports, value)
                    if creation is not None:
                        held.setdefault(target.attr.value, (created_on_cpu(creation), method, node))
                    elif isinstance(value, cst.Name) and value.value in generator_params:
                        held.setdefault(target.attr.value, (False, method, node))
            stack.extend(child_nodes(node))
    return held
