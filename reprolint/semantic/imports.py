"""Import and alias resolution: which dotted name does a local name stand for?

``import torch as T`` makes ``T.Generator`` resolve to ``torch.Generator``;
``from diffusers import StableDiffusionPipeline as SD`` makes ``SD`` resolve to
``diffusers.StableDiffusionPipeline``. Resolution is by import, never by suffix matching.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a chain of Names and Attributes, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node) -> str:
    return dotted_name(node) or ""


def iter_statements(body, into_definitions: bool = True) -> Iterator[cst.CSTNode]:
    """Every statement in a block, descending into compound statements but not expressions.

    Cheap: imports are almost always statements at some nesting level, so this avoids visiting
    every expression node just to find them.
    """
    stack = list(reversed(list(body)))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, cst.SimpleStatementLine):
            continue
        if not into_definitions and isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        children = []
        for attr in ("body", "orelse", "finalbody"):
            block = getattr(stmt, attr, None)
            if block is None:
                continue
            if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                children.extend(block.body)
            elif isinstance(block, (cst.Else, cst.Finally, cst.If)):
                children.append(block)
        for handler in getattr(stmt, "handlers", ()) or ():
            children.append(handler)
        for case in getattr(stmt, "cases", ()) or ():
            children.append(case)
        stack.extend(reversed(children))


class ImportTable:
    """Local name -> fully qualified dotted name, from every import statement in a module.

    Scope-insensitive by design: an import inside ``main()`` binds the same way as one at the top.
    Scripts rarely shadow ``torch`` or a pipeline class, and resolving is what keeps rules precise.
    """

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    @classmethod
    def from_module(cls, module: cst.Module, module_level_only: bool = False) -> "ImportTable":
        """Every import of the module; with ``module_level_only``, only those that run at module
        level (top-level ``if``/``try``/``with`` blocks included, function and class bodies not)."""
        table = cls()
        for stmt in iter_statements(module.body, into_definitions=not module_level_only):
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        table._add_import(small)
                    elif isinstance(small, cst.ImportFrom):
                        table._add_import_from(small)
        return table

    def _add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                # ``import diffusers.utils`` binds ``diffusers``; attribute access does the rest.
                top = full.split(".", 1)[0]
                self.aliases[top] = top

    def _add_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = _module_name(node.module) if node.module is not None else ""
        dots = "." * len(node.relative)
        base = dots + module
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            if base.endswith(".") or not base:
                self.aliases[local] = base + name
            else:
                self.aliases[local] = f"{base}.{name}"

    def resolve(self, node: cst.BaseExpression) -> Optional[str]:
        """The qualified name of a Name/Attribute chain whose root is imported, else None."""
        name = dotted_name(node)
        if name is None:
            return None
        return self.resolve_dotted(name)

    def resolve_dotted(self, name: str) -> Optional[str]:
        root, _, rest = name.partition(".")
        target = self.aliases.get(root)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def imports_module(self, prefix: str) -> bool:
        return any(q == prefix or q.startswith(prefix + ".") for q in self.aliases.values())

    def local_names_for(self, qualified: str) -> list[str]:
        """Local names bound to exactly ``qualified`` (used by fixes to reuse an alias)."""
        return [local for local, q in self.aliases.items() if q == qualified]
