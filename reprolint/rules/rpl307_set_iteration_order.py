from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.prefilter import ORDER_KEEPING_WRAPPERS
from reprolint.rules.edits import syntax_of
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic.definitions import enclosing_definitions
from reprolint.semantic.tree import SyntaxIndex, child_nodes

STRING_LITERALS = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
# Methods that return a str when called on one (what a set comprehension's element is built with).
STRING_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold", "replace",
    "format", "join", "removeprefix", "removesuffix", "zfill",
})
# Calls that return a list of str.
SPLITTING_METHODS = frozenset({"split", "rsplit", "splitlines"})
SET_OPERATORS = (cst.BitOr, cst.BitAnd, cst.Subtract, cst.BitXor)


def _is_string(node) -> bool:
    if isinstance(node, STRING_LITERALS):
        return True
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name) and func.value == "str":
            return True
        return isinstance(func, cst.Attribute) and func.attr.value in STRING_METHODS
    return False


def _strings_collection(node, names: "NameLookup") -> bool:
    """A list, tuple or set literal of strings, a comprehension building strings, ``s.split()``,
    or a name bound once to one of these."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return bool(node.elements) and all(
            isinstance(e, cst.Element) and _is_string(e.value) for e in node.elements)
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return _is_string(node.elt)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in SPLITTING_METHODS
    if isinstance(node, cst.Name):
        bound = names.single_binding(node)
        return bound is not None and _strings_collection(bound, names.without(node.value))
    return False


def string_set(node, names: "NameLookup") -> bool:
    """Whether ``node`` is a set of strings: ``{"a", "b"}``, ``{p.strip() for p in ps}``,
    ``set(["a", "b"])``, ``frozenset(text.split(","))``, a set operation on one, or a name bound
    once, in its scope, to one."""
    if isinstance(node, cst.Set):
        return _strings_collection(node, names)
    if isinstance(node, cst.SetComp):
        return _is_string(node.elt)
    if (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and node.func.value in ("set", "frozenset") and len(node.args) == 1 and not node.args[0].star
            and not names.rebinds(node.func.value)):
        argument = node.args[0].value
        return _strings_collection(argument, names) or string_set(argument, names)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, SET_OPERATORS):
        return string_set(node.left, names) or (
            not isinstance(node.operator, cst.Subtract) and string_set(node.right, names))
    if isinstance(node, cst.Name):
        bound = names.single_binding(node)
        return bound is not None and string_set(bound, names.without(node.value))
    return False


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


def _iterated(iterable) -> cst.BaseExpression:
    """What a loop really iterates: ``x`` in ``enumerate(x)`` / ``list(x)``."""
    while (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name)
           and iterable.func.value in ORDER_KEEPING_WRAPPERS and iterable.args and not iterable.args[0].star
           and iterable.args[0].keyword is None):
        iterable = iterable.args[0].value
    return iterable


COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _loops(syntax: SyntaxIndex) -> Iterator[tuple]:
    """(loop, iterable, body) of every ``for`` loop and comprehension: the body is what runs once
    per element (a comprehension's element expression and its later clauses)."""
    for node in syntax.nodes(cst.For, *COMPREHENSIONS):
        if isinstance(node, cst.For):
            yield node, node.iter, node.body
        else:
            yield node, node.for_in.iter, node


def _feeding_call(call: cst.Call, seeding: set) -> Optional[str]:
    if id(call) in seeding:
        return "a seeding call"
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "manual_seed":
        return "`manual_seed`"
    if any(arg.keyword is not None and arg.keyword.value == "generator" for arg in call.args):
        return "a call with `generator=`"
    return None


def _loops_feeding_generation(model, syntax: SyntaxIndex) -> set:
    """The loops whose body holds a call that feeds generation: found from the calls up, so a
    module's many loops that feed nothing cost no walk of their own."""
    seeding = {id(c.node) for c in model.seeding_calls}
    loops: set = set()
    parents = syntax.parents
    for call in syntax.nodes(cst.Call):
        if _feeding_call(call, seeding) is None:
            continue
        child, parent = call, parents.get(call)
        while parent is not None:
            if (isinstance(parent, cst.For) and child is parent.body) or isinstance(parent, COMPREHENSIONS):
                loops.add(parent)
            child, parent = parent, parents.get(parent)
    return loops


def _calls_in(node) -> Iterator[cst.Call]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        stack.extend(child_nodes(current))


class SetIterationOrder(Rule):
    """
    ## What it does
    Flags a loop or comprehension that iterates a set of strings (a literal `{"a", "b"}`,
    `set(...)`/`frozenset(...)` of a list of strings or of `text.split(...)`, a set
    comprehension building strings, a set operation on one, or a name bound once to one of
    these; also through `enumerate(...)`/`list(...)`) when what it runs per element feeds
    seeded generation or derives seeds: a call with `generator=`, a `.manual_seed(...)`, or a
    seeding call.

    ## Why is this bad?
    A set of strings is iterated in the order of the strings' hashes, and Python salts string
    hashes per process (`PYTHONHASHSEED`): the same set comes out in a different order on the
    next run. A seeded generator consumed across the loop, or a seed taken from the loop's
    index, then goes to a different prompt each run, so every image changes although every
    seed is fixed.

    ## Example
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    for prompt in {"a cat", "a dog", "a fox"}:
        pipe(prompt, generator=generator).images[0].save(f"{prompt}.png")
    ```

    ## Use instead
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    for prompt in sorted({"a cat", "a dog", "a fox"}):
        pipe(prompt, generator=generator).images[0].save(f"{prompt}.png")
    ```

    ## Fix safety
    Unsafe: the fix iterates `sorted(...)` of the set, a fixed order, which pairs seeds and
    prompts differently from what some earlier run did (that run's order was itself an accident
    of its hash seed).

    ## Evidence
    - Python docs, `object.__hash__` and `PYTHONHASHSEED`: "the __hash__() values of str and
      bytes objects are salted with an unpredictable random value ... the iteration order of
      sets" changes between runs.
    - PyTorch docs, `notes/randomness.rst`: results are reproducible only when the same
      operations run in the same order.
    """

    code = "RPL307"
    name = "set-iteration-order"
    summary = "seeded generation in a loop over a set of strings"
    fix_safety = Applicability.UNSAFE
    # A finding needs a call with ``generator=``, a ``manual_seed`` or a seeding call in the loop.
    triggers = ("generator", "seed", "Generator")
    verification = Verification(
        observe=Observe.PIPELINE_CALLS, compare=Compare.HASH_SEED, training=True,
        drift="2 runs with different PYTHONHASHSEED values differ: {difference}",
        no_drift="no drift observed ({runs} runs with different PYTHONHASHSEED values identical)")

    @classmethod
    def could_report(cls, facts) -> bool:
        return facts.iterates_set_like and (
            "generator" in facts.keywords or any("seed" in word.lower() for word in facts.words))

    def check(self, model):
        syntax = syntax_of(model)
        feeding_loops = _loops_feeding_generation(model, syntax)
        if not feeding_loops:
            return
        lookup = NameLookup(model.module, syntax.parents)
        for loop, iterable, body in _loops(syntax):
            if loop not in feeding_loops:
                continue
            candidate = _iterated(iterable)
            if not isinstance(candidate, (cst.Set, cst.SetComp, cst.Call, cst.BinaryOperation, cst.Name)):
                continue
            if not string_set(candidate, lookup):
                continue
            feeding = self._feeds_generation(model, body)
            yield self.report(
                model, candidate,
                f"`{model.code(candidate)}` is a set of strings, iterated in hash order, which changes from "
                f"run to run (PYTHONHASHSEED), and the loop feeds {feeding}: iterate `sorted(...)`",
                fix=Fix(Applicability.UNSAFE, "Iterate `sorted(...)`",
                        replacements={candidate: lambda updated: cst.Call(cst.Name("sorted"), [cst.Arg(updated)])}),
            )

    @staticmethod
    def _feeds_generation(model, body) -> Optional[str]:
        seeding = {id(c.node) for c in model.seeding_calls}
        for call in _calls_in(body):
            feeding = _feeding_call(call, seeding)
            if feeding is not None:
                return feeding
        return None

    VALID = [
        Example(
            """
            import torch

            generator = torch.Generator("cpu").manual_seed(0)
            for prompt in sorted({"a cat", "a dog"}):
                image = pipe(prompt, generator=generator).images[0]
            """
        ),
        Example(
            """
            seen = {"a cat", "a dog"}
            for prompt in seen:
                print(prompt.upper())
            """,
            note="no seeded generation in the loop",
        ),
        Example(
            """
            import torch

            for step in {1, 2, 3}:
                torch.manual_seed(step)
            """,
            note="a set of ints iterates in the same order every run",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            generator = torch.Generator("cpu").manual_seed(0)
            for prompt in {"a cat", "a dog", "a fox"}:
                image = pipe(prompt, generator=generator).images[0]
            """,
            expect=[(4, 15)],
            fixed="""
            import torch

            generator = torch.Generator("cpu").manual_seed(0)
            for prompt in sorted({"a cat", "a dog", "a fox"}):
                image = pipe(prompt, generator=generator).images[0]
            """,
        ),
        Example(
            """
            import torch

            styles = set(args.styles.split(","))
            for i, style in enumerate(styles):
                generator = torch.Generator().manual_seed(args.seed + i)
                images[style] = pipe(f"a cat, {style}", generator=generator).images[0]
            """,
            expect=[(4, 27)],
        ),
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            for index, prompt in enumerate({"a cat", "a dog", "a fox"}):
                generator = torch.Generator("cpu").manual_seed(index)
                image = pipe(prompt, generator=generator).images[0]
            """,
            expect=[(5, 32)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            for index, prompt in enumerate(sorted({"a cat", "a dog", "a fox"})):
                generator = torch.Generator("cpu").manual_seed(index)
                image = pipe(prompt, generator=generator).images[0]
            """,
        ),
    ]
