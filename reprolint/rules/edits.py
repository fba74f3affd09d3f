"""Building blocks rules use to express a fix as libcst node replacements.

Everything here only builds nodes and strings; ``reprolint.fix.apply`` applies them (it sits
under ``rules/`` so that rules never import the fix drivers, which run the engine). Names a fix
writes reuse the module's own imports (``import torch as T`` gives ``T.Generator``), so a fix
never adds a second import of something already imported.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

import libcst as cst

from reprolint.semantic.imports import ImportTable
from reprolint.semantic.tree import SyntaxIndex, child_nodes

LOOPS = (cst.For, cst.While)
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Module)


def module_level_imports(module: cst.Module) -> ImportTable:
    """The names imported by statements that run at module level (top-level ``if``/``try``/
    ``with`` blocks included), not inside a function or class body.

    A name a fix writes must be bound wherever the fix writes it, so an ``import torch as T``
    inside ``main()`` does not make ``T`` usable at the top of the module; the fix then adds a
    module-level import instead.
    """
    return ImportTable.from_module(module, module_level_only=True)


def imports_of(model) -> ImportTable:
    """The model's module-level imports, computed once per model and only when a fix needs them."""
    return model.memo("module_level_imports", module_level_imports)


def reference(imports: ImportTable, qualified: str, from_import: bool = False) -> tuple:
    """An expression naming ``qualified`` in a module with these imports, and the imports to add.

    ``torch.Generator`` becomes ``T.Generator`` under ``import torch as T``, ``Generator`` under
    ``from torch import Generator``, else ``torch.Generator`` plus ``import torch``. With
    ``from_import`` the name is used bare, imported by ``from module import name`` unless the
    module imports exactly it already.
    """
    exact = sorted(imports.local_names_for(qualified))
    if exact:
        return cst.Name(exact[0]), ()
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1) if not from_import else ():
        owners = sorted(imports.local_names_for(".".join(parts[:cut])))
        if owners:
            return cst.parse_expression(".".join([owners[0], *parts[cut:]])), ()
    if from_import and len(parts) > 1:
        return cst.Name(parts[-1]), (f"from {'.'.join(parts[:-1])} import {parts[-1]}",)
    return cst.parse_expression(qualified), (f"import {parts[0]}",)


def cpu_generator(imports: ImportTable, seed: Optional[cst.BaseExpression]) -> tuple:
    """``torch.Generator("cpu").manual_seed(seed)`` (or unseeded when ``seed`` is None), with the
    imports it needs."""
    generator_class, needed = reference(imports, "torch.Generator")
    expr: cst.BaseExpression = cst.Call(generator_class, [cst.Arg(cst.SimpleString('"cpu"'))])
    if seed is not None:
        expr = cst.Call(cst.Attribute(expr, cst.Name("manual_seed")), [cst.Arg(seed)])
    return expr, needed


def seed_keyword_to_generator(model) -> tuple:
    """``(rewrite, imports)``: ``rewrite(arg)`` turns a pipeline call's ``seed=s`` argument into
    ``generator=torch.Generator("cpu").manual_seed(s)``, keeping the caller's own seed (RPL103's
    fix, and RPL101's where the call passes ``seed=``)."""
    _, imports = cpu_generator(imports_of(model), None)

    def rewrite(updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=cst.Name("generator"),
                                    value=cpu_generator(imports_of(model), updated.value)[0])

    return rewrite, imports


def plus(base: cst.BaseExpression, offset: cst.BaseExpression) -> cst.BaseExpression:
    """``base + offset``, folding ``0 + i`` to ``i`` and parenthesising a compound base."""
    if isinstance(base, cst.Integer) and base.evaluated_value == 0:
        return offset
    if not base.lpar and not isinstance(base, (cst.Name, cst.Attribute, cst.Integer, cst.Call, cst.Subscript)):
        base = base.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.BinaryOperation(base, cst.Add(), offset)


def integer(value: int) -> cst.BaseExpression:
    if value < 0:
        return cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value)))
    return cst.Integer(str(value))


def _arg_indent(call: cst.Call) -> Optional[cst.SimpleWhitespace]:
    """The indentation of the arguments of a call written one argument per line, else None."""
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace):
            return arg.comma.whitespace_after.last_line
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return call.whitespace_before_args.last_line
    return None


def append_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``keyword=value`` added as its last argument, in the call's own layout.

    A call written one argument per line gets the new argument on a line of its own (keeping a
    trailing comma if the call had one, and a comment after the last argument where it was); a
    one-line call gets ``, keyword=value`` before the closing parenthesis.
    """
    new_arg = cst.Arg(value, keyword=cst.Name(keyword),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if not call.args:
        return call.with_changes(args=[new_arg])
    last = call.args[-1]
    indent = _arg_indent(call)
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    closing = trailing.whitespace_after if trailing is not None else last.whitespace_after_arg
    if indent is not None and isinstance(closing, cst.ParenthesizedWhitespace):
        # The comment after the last argument stays on its line; the new one goes below it.
        separator = cst.ParenthesizedWhitespace(first_line=closing.first_line, empty_lines=closing.empty_lines,
                                                indent=closing.indent, last_line=indent)
        after_new = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=closing.indent,
                                                last_line=closing.last_line)
        last = last.with_changes(comma=cst.Comma(whitespace_after=separator),
                                 whitespace_after_arg=cst.SimpleWhitespace(""))
        if trailing is not None:
            new_arg = new_arg.with_changes(comma=cst.Comma(whitespace_after=after_new))
        else:
            new_arg = new_arg.with_changes(whitespace_after_arg=after_new)
    else:
        new_arg = new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)
        if trailing is not None:
            new_arg = new_arg.with_changes(comma=cst.Comma(whitespace_after=trailing.whitespace_after))
        last = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                 whitespace_after_arg=cst.SimpleWhitespace(""))
    return call.with_changes(args=[*call.args[:-1], last, new_arg])


def keyword_appender(keyword: str, value: cst.BaseExpression) -> Callable[[cst.Call], cst.Call]:
    """A replacement that adds ``keyword=value`` to a call as already edited by nested fixes."""
    return lambda updated: append_keyword(updated, keyword, value)


# -- where a node sits ------------------------------------------------------------------------


def parents_of(model) -> dict:
    """The model's parent map, computed once per model and only when a fix needs it."""
    return syntax_of(model).parents


def syntax_of(model) -> SyntaxIndex:
    """The module's one shared walk (``reprolint.semantic.tree.SyntaxIndex``), built on first use."""
    return model.syntax


def ancestors(parents: dict, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    while node in parents:
        node = parents[node]
        yield node


def enclosing_statement(parents: dict, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The statement (simple line or compound) directly in a block that contains ``node``."""
    child = node
    for parent in ancestors(parents, node):
        if isinstance(parent, (cst.Module, cst.IndentedBlock)) and child in parent.body:
            return child
        child = parent
    return None


def bound_names(module: cst.Module) -> set:
    """Every identifier written in the module; fresh names a fix introduces avoid them all."""
    names = set()
    stack = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.add(node.value)
        stack.extend(child_nodes(node))
    return names


def fresh_name(module: cst.Module, wanted: str) -> str:
    taken = bound_names(module)
    name, suffix = wanted, 1
    while name in taken:
        suffix += 1
        name = f"{wanted}_{suffix}"
    return name


def _loop_index(loop: cst.CSTNode) -> Optional[cst.Name]:
    """The name that already counts the iterations of ``loop``: ``i`` in ``for i in range(n)``
    or in ``for i, x in enumerate(xs)``; None for other loops."""
    if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call):
        return None
    func = loop.iter.func
    if not isinstance(func, cst.Name):
        return None
    if func.value == "range" and isinstance(loop.target, cst.Name):
        return cst.Name(loop.target.value)
    if (func.value == "enumerate" and isinstance(loop.target, cst.Tuple) and len(loop.target.elements) == 2
            and isinstance(loop.target.elements[0].value, cst.Name)):
        return cst.Name(loop.target.elements[0].value.value)
    return None


def per_iteration_seed(model, node: cst.CSTNode, base_seed: int) -> tuple:
    """A seed expression for a generator created at ``node``, distinct on every iteration of the
    loops around it: ``(seed, imports, statements_before)``.

    Outside loops it is ``base_seed``. Inside one ``for i in range(...)`` (or ``for i, x in
    enumerate(...)``) loop it is ``base_seed + i``, so iteration ``i`` can be regenerated alone.
    Inside any other loop, nested loops or a comprehension, a counter is created right before
    the outermost loop (``generator_seeds = itertools.count(base_seed)``) and each call takes
    ``next(generator_seeds)``: distinct per call, and the same sequence on every run.
    """
    parents = parents_of(model)
    loops = []
    for ancestor in ancestors(parents, node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            break
        if isinstance(ancestor, LOOPS):
            # Only a call inside the body repeats (not one in the iterable or the else block).
            if node_inside(parents, node, ancestor.body):
                loops.append(ancestor)
        elif isinstance(ancestor, COMPREHENSIONS):
            loops.append(ancestor)
    base = integer(base_seed)
    if not loops:
        return base, (), ()
    if len(loops) == 1:
        index = _loop_index(loops[0])
        if index is not None:
            return plus(base, index), (), ()
    anchor = next((loop for loop in reversed(loops) if isinstance(loop, LOOPS)), node)
    counter = fresh_name(model.module, "generator_seeds")
    count, imports = reference(imports_of(model), "itertools.count")
    statement = f"{counter} = {cst.Module([]).code_for_node(count)}({base_seed})"
    seed = cst.Call(cst.Name("next"), [cst.Arg(cst.Name(counter))])
    return seed, imports, ((anchor, statement),)


def node_inside(parents: dict, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return node is container or any(a is container for a in ancestors(parents, node))


def keyword_setter(keyword: str, value: cst.BaseExpression) -> Callable[[cst.Call], cst.Call]:
    """A replacement giving a call ``keyword=value``: the existing argument's value is replaced
    (``generator=None``), else the keyword is appended."""

    def rewrite(updated: cst.Call) -> cst.Call:
        for index, arg in enumerate(updated.args):
            if arg.keyword is not None and arg.keyword.value == keyword:
                args = list(updated.args)
                args[index] = arg.with_changes(value=value)
                return updated.with_changes(args=args)
        return append_keyword(updated, keyword, value)

    return rewrite


def generator_before_loops(model, node: cst.CSTNode, seed: int, wanted: str = "generator") -> tuple:
    """A seeded CPU generator for the draws at ``node``: ``(expression, imports, statements_before)``.

    Outside loops the expression is the generator itself. Inside loops, one generator is created
    right before the outermost loop and threaded through every iteration (the pattern a custom
    denoising loop uses), so the draws differ per step and repeat per run.
    """
    generator, imports = cpu_generator(imports_of(model), integer(seed))
    parents = parents_of(model)
    outermost = None
    for ancestor in ancestors(parents, node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            break
        if isinstance(ancestor, LOOPS) and node_inside(parents, node, ancestor.body) or isinstance(
                ancestor, COMPREHENSIONS):
            outermost = ancestor
    if outermost is None:
        return generator, imports, ()
    name = fresh_name(model.module, wanted)
    anchor = outermost if isinstance(outermost, LOOPS) else node
    statement = f"{name} = {cst.Module([]).code_for_node(generator)}"
    return cst.Name(name), imports, ((anchor, statement),)


def is_docstring(stmt: cst.CSTNode) -> bool:
    """A statement that is only a string: a module's, class's or function's docstring."""
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))
