from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import imports_of, is_docstring, parents_of, syntax_of
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.definitions import FunctionCalls, bound_in, free_names, parameters
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import Generator


def _literal(expr: cst.BaseExpression) -> bool:
    """A constant the default's evaluation cannot depend on the time of: ``0``, ``-1``, ``"cpu"``."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        expr = expr.expression
    return isinstance(expr, (cst.Integer, cst.SimpleString)) and not expr.lpar


def _only_literal_arguments(expr: cst.BaseExpression) -> bool:
    """Every call in ``torch.Generator(...).manual_seed(...)`` takes literals only."""
    while isinstance(expr, cst.Call):
        if not all(arg.star == "" and _literal(arg.value) for arg in expr.args):
            return False
        is_method = isinstance(expr.func, cst.Attribute) and isinstance(expr.func.value, cst.Call)
        expr = expr.func.value if is_method else None
    return True


class GeneratorDefaultArgument(Rule):
    """
    ## What it does
    Flags a `torch.Generator(...)`, seeded (`torch.Generator().manual_seed(0)`) or not, written
    as the default value of a function's parameter: `def sample(shape, generator=torch.Generator())`.

    ## Why is this bad?
    Python evaluates a default once, when the `def` runs, so every call that omits the argument
    (and every instance of a class whose `__init__` has the default) shares that one generator
    object. Each call consumes it, so the second call does not start from the seed: its result
    depends on how many calls came before it, in the whole process. The seed written in the
    signature reproduces only the first call.

    ## Example
    ```python
    def add_noise(x, generator=torch.Generator().manual_seed(0)):
        return x + torch.randn(x.shape, generator=generator)
    ```

    ## Use instead
    ```python
    def add_noise(x, generator=None):
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        return x + torch.randn(x.shape, generator=generator)
    ```

    ## Fix safety
    Safe: the default becomes `None` and the body starts (after its docstring) with
    `if <name> is None: <name> = <the default, as written>`, so every call that omits the
    argument gets what the first call used to get, a fresh generator seeded as the signature
    said, and a call that passes a generator is unchanged. The fix is offered as safe only where
    this is exactly so: the default's arguments are literals (`"cpu"`, `0`) and the names it
    reads (`torch`) are module-level imports the function does not rebind, so evaluating it at
    call time gives the same generator as evaluating it at definition time. A default that
    reads other names (`manual_seed(SEED)`) is not rewritten, nor a lambda's. One call shape
    does change: passing `None` explicitly (forwarding an optional `generator=generator`) used
    to give no generator and now gives the seeded one; where a call in the module may do so
    (a call by the function's name, by the class's name for an `__init__`, any call for a
    `__call__`, passing the parameter a value not known to be a generator), the fix is offered
    as unsafe instead. Calls from other modules cannot be seen: review a public function's
    callers.

    ## Evidence
    - Python docs, "Default parameter values are evaluated from left to right when the function
      definition is executed" (the mutable-default pitfall, here with a stateful generator).
    - diffusers docs, `reusing_seeds.md`: a generator is consumed by the draws made from it.
    """

    code = "RPL114"
    name = "generator-default-argument"
    summary = "`torch.Generator(...)` as a parameter's default value"
    fix_safety = Applicability.SAFE
    triggers = ("Generator",)
    requires_imports = catalog.GENERATOR_PACKAGES  # the default must resolve to torch.Generator
    # The calls that omit the argument share one generator: two of them give two results.
    verification = Verification(
        observe=Observe.NAMED_BY_RULE, compare=Compare.REPEATED,
        drift="the same call made twice in one process gives two results: {difference}",
        no_drift="no drift observed (the same call made twice in one process gave the same result)")

    @classmethod
    def could_report(cls, facts) -> bool:
        return bool(facts.words & catalog.GENERATOR_VALUE_NAMES)

    def check(self, model):
        for node in syntax_of(model).nodes(cst.FunctionDef, cst.Lambda):
            for param in parameters(node):
                if param.default is None or model.generator_creation(param.default) is None:
                    continue
                name = param.name.value
                yield self.report(
                    model, param.default,
                    f"the default of `{name}` is one generator object, made once when the `def` runs: every "
                    f"call that omits `{name}` shares and consumes it; default to None and create it inside",
                    fix=self._fix(model, node, param), observed=calls_omitting(model, node, param),
                )

    def _fix(self, model, func, param) -> Optional[Fix]:
        if not isinstance(func, cst.FunctionDef) or param.star:
            return None
        default = param.default
        names = free_names(default)
        if not _only_literal_arguments(default) or names & bound_in(func):
            return None
        module_imports = imports_of(model)
        if not all(module_imports.resolve(cst.Name(n)) is not None for n in names):
            return None
        name = param.name.value
        applicability = Applicability.UNSAFE if _may_pass_none(model, func, param) else Applicability.SAFE
        created = model.code(default)

        def rewrite(updated: cst.FunctionDef) -> cst.FunctionDef:
            return _with_default_created_inside(updated, name, created)

        return Fix(applicability, f"Default `{name}` to None and create the generator in the body",
                   replacements={func: rewrite})

    VALID = [
        Example(
            """
            import torch

            def add_noise(x, generator=None):
                if generator is None:
                    generator = torch.Generator().manual_seed(0)
                return x + torch.randn(x.shape, generator=generator)
            """
        ),
        Example(
            """
            import torch

            def add_noise(x, generator: torch.Generator = None, seed: int = 0):
                generator = generator or torch.Generator().manual_seed(seed)
                return x + torch.randn(x.shape, generator=generator)
            """,
            note="an annotation is not a default",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            def add_noise(x, generator=torch.Generator().manual_seed(0)):
                return x + torch.randn(x.shape, generator=generator)
            """,
            expect=[(3, 28)],
            fixed="""
            import torch

            def add_noise(x, generator=None):
                if generator is None:
                    generator = torch.Generator().manual_seed(0)
                return x + torch.randn(x.shape, generator=generator)
            """,
        ),
        Example(
            """
            from torch import Generator

            class NoiseSampler:
                def __init__(self, shape, *, generator=Generator("cpu")):
                    self.shape = shape
                    self.generator = generator
            """,
            expect=[(4, 44)],
        ),
        Example(
            """
            import torch

            def add_noise(x, generator=torch.Generator().manual_seed(0)):
                return x + torch.randn(x.shape, generator=generator)

            noisy = add_noise(torch.zeros(4))
            """,
            expect=[(3, 28)],
            fixed="""
            import torch

            def add_noise(x, generator=None):
                if generator is None:
                    generator = torch.Generator().manual_seed(0)
                return x + torch.randn(x.shape, generator=generator)

            noisy = add_noise(torch.zeros(4))
            """,
        ),
    ]




def _may_pass_none(model, func: cst.FunctionDef, param: cst.Param) -> bool:
    """Whether a call in this module that may reach ``func`` passes ``param`` explicitly a value
    that may be None (anything not known to be a generator), or passes ``*args``/``**kw`` that may
    carry it. Calls reach it by its name; an ``__init__`` by its class's name; a ``__call__`` (or
    any other dunder) by calling an instance, so every call counts for it."""
    name = param.name.value
    callee = FunctionCalls(parents_of(model), func, name)
    any_callee = func.name.value.startswith("__") and func.name.value != "__init__"
    for call in model.calls:
        written = dotted_name(call.node.func) or ""
        if not any_callee and not callee.named_by(written):
            continue
        if call.star_args or call.star_kwargs:
            if any_callee:
                continue  # any call of anything: only an explicit keyword is evidence here
            return True
        argument = call.keyword(name) if any_callee else callee.argument(call, written)
        if argument is not None and not isinstance(argument.value, Generator):
            return True
    return False


def calls_omitting(model, func, param: cst.Param) -> list:
    """The calls in this module, by the function's name (an ``__init__``'s by its class's),
    that leave ``param`` to its default: the calls that share the default's generator."""
    if not isinstance(func, cst.FunctionDef) or param.star:
        return []
    if func.name.value.startswith("__") and func.name.value != "__init__":
        return []  # called through an instance: which calls reach it is not written
    callee = FunctionCalls(parents_of(model), func, param.name.value)
    found = []
    for call in model.calls:
        written = dotted_name(call.node.func) or ""
        if not callee.named_by(written) or call.star_args or call.star_kwargs:
            continue
        if callee.argument(call, written) is None:
            found.append(call.node)
    return found


def _with_default_created_inside(func: cst.FunctionDef, name: str, created: str) -> cst.FunctionDef:
    def without_default(param):
        if param.name.value == name and param.default is not None:
            return param.with_changes(default=cst.Name("None"))
        return param

    params = func.params
    params = params.with_changes(
        posonly_params=[without_default(p) for p in params.posonly_params],
        params=[without_default(p) for p in params.params],
        kwonly_params=[without_default(p) for p in params.kwonly_params],
    )
    check = cst.parse_statement(f"if {name} is None:\n    {name} = {created}\n")
    body = func.body
    if isinstance(body, cst.SimpleStatementSuite):
        body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
                                       for small in body.body])
    statements = list(body.body)
    at = 1 if statements and is_docstring(statements[0]) else 0
    statements[at:at] = [check]
    return func.with_changes(params=params, body=body.with_changes(body=statements))

