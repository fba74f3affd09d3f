from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import keyword_setter, parents_of
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.rules.rpl114_generator_default_argument import generator_creation
from reprolint.semantic import catalog
from reprolint.semantic.definitions import enclosing_definitions, parameters
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.tree import child_nodes


@dataclass(frozen=True)
class HeldGenerator:
    """A generator a function or class holds: the expression that names it where the draw is
    (``generator``, ``self.generator``, ``g``), and whether it is known to live on the CPU (then
    passing it to a CPU draw cannot fail)."""

    expression: str
    on_cpu: bool
    where: str  # for messages: "parameter `generator`", "`self.generator`"


def _annotation_names_generator(model, annotation: Optional[cst.Annotation]) -> bool:
    if annotation is None:
        return False
    stack = [annotation.annotation]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)) and model.imports.resolve(node) in catalog.GENERATOR_CLASSES:
            return True
        if isinstance(node, cst.SimpleString):
            return "Generator" in node.value and "torch" in node.value
        if not isinstance(node, cst.Attribute):
            stack.extend(child_nodes(node))
    return False


def _is_generator_parameter(model, param: cst.Param) -> bool:
    name = param.name.value
    return name == "generator" or name.endswith("_generator") or _annotation_names_generator(model, param.annotation)


def _seeded_creation(model, expr) -> Optional[cst.Call]:
    """The creation call when ``expr`` is ``torch.Generator(...).manual_seed(s)``."""
    creation = generator_creation(model, expr)
    return creation if creation is not None and creation is not expr else None


def _on_cpu(creation: cst.Call) -> bool:
    """``torch.Generator()`` / ``torch.Generator("cpu")`` / ``torch.Generator(device="cpu")``."""
    if not creation.args:
        return True
    if len(creation.args) != 1 or creation.args[0].star:
        return False
    arg = creation.args[0]
    if arg.keyword is not None and arg.keyword.value != "device":
        return False
    return isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value == "cpu"


def _seeded_names(model, func: cst.FunctionDef) -> dict:
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
            creation = generator_creation(model, node.value)
            if creation is not None:
                created[node.targets[0].target.value] = (node, creation, creation is not node.value)
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
              and node.func.attr.value == "manual_seed" and isinstance(node.func.value, cst.Name)):
            reseeded.add(node.func.value.value)
        stack.extend(child_nodes(node))
    return {name: (statement, _on_cpu(creation)) for name, (statement, creation, seeded) in created.items()
            if seeded or name in reseeded}


def _class_generators(model, cls: cst.ClassDef) -> dict:
    """``self.<attr>`` a class's methods assign a seeded generator or a generator parameter to:
    attr -> (on_cpu, the method assigning it, the assignment)."""
    held: dict = {}
    for method in cls.body.body:
        if not isinstance(method, cst.FunctionDef) or _is_static_or_class_method(method):
            continue
        params = parameters(method)
        if not params:
            continue
        self_name = params[0].name.value
        generator_params = {p.name.value for p in params[1:] if _is_generator_parameter(model, p)}
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
                    creation = _seeded_creation(model, value)
                    if creation is not None:
                        held.setdefault(target.attr.value, (_on_cpu(creation), method, node))
                    elif isinstance(value, cst.Name) and value.value in generator_params:
                        held.setdefault(target.attr.value, (False, method, node))
            stack.extend(child_nodes(node))
    return held


def _is_static_or_class_method(func: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in func.decorators)


class SeededGeneratorIgnored(Rule):
    """
    ## What it does
    Flags a random draw that passes no generator (`torch.randn`, `rand`, `randint`,
    `randn_like`, ... and diffusers' `randn_tensor`; the tensor methods `.normal_()` and
    `.uniform_()`, in a module that imports torch) inside a function or class that holds a generator it could pass: a
    parameter named `generator` (or `*_generator`, or annotated `torch.Generator`), a local
    name bound to a seeded `torch.Generator(...)`, or an attribute `self.<x>` that a method sets
    to a seeded generator or to such a parameter. A draw in the branch where that generator is
    `None` (`if generator is None: noise = torch.randn(...)`) is not flagged.

    ## Why is this bad?
    The caller seeded a generator so that the result would be reproducible, and this draw
    ignores it: it reads torch's global random state instead, so the output still changes with
    whatever else drew random numbers before, and the seed the user gave does not control it.
    diffusers pipelines draw all their noise from the `generator` they are given for exactly
    this reason.

    ## Example
    ```python
    def prepare_latents(self, shape, generator, device, dtype):
        latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
        noise = torch.randn_like(latents)
        return latents + self.noise_level * noise
    ```

    ## Use instead
    ```python
    def prepare_latents(self, shape, generator, device, dtype):
        latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
        noise = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
        return latents + self.noise_level * noise
    ```

    ## Fix safety
    Unsafe: passing the generator changes the values drawn, and every later draw from that
    generator, on purpose. The fix adds `generator=<the held generator>` where passing it cannot
    fail: to `randn_tensor` (which accepts a list of generators and moves CPU noise to the
    device itself), and to a `torch.*` draw on the CPU (no `device=`, or `device="cpu"`) when the
    generator is a local or attribute made on the CPU. A parameter may be a list of generators
    or live on a GPU, so other draws get no automatic fix: pass it (or use `randn_tensor`) by
    hand.

    ## Evidence
    - diffusers docs, `reusing_seeds.md`: pass the generator to every random draw for the result
      to be reproducible.
    - diffusers' `randn_tensor` (`diffusers.utils.torch_utils`): the one helper pipelines draw
      their noise with, taking the pipeline's `generator`.
    """

    code = "RPL113"
    name = "seeded-generator-ignored"
    summary = "a draw without the generator its function or class holds"
    fix_safety = Applicability.UNSAFE
    triggers = ("enerator",)
    requires_imports = ("torch", "diffusers")  # every draw it flags resolves under one of them
    # The script's own seed is the same in both runs; the draw still follows the process's.
    verification = Verification(
        observe=Observe.FLAGGED_CALL,
        drift="2 runs with the same seed, different process seeds: the draw differs: {difference}",
        no_drift="no drift observed ({runs} runs with the same seed identical)")

    @classmethod
    def could_report(cls, facts) -> bool:
        drawn = {name.rsplit(".", 1)[-1] for name in catalog.TORCH_RANDOM_FUNCTIONS} | catalog.TENSOR_RANDOM_METHODS
        return bool(facts.ungenerated_calls & drawn)  # a draw that passes `generator=` is never flagged

    def check(self, model):
        parents = None
        # A tensor method is known to be one only where torch is imported.
        methods_count = model.imports.imports_module("torch")
        for call in model.calls:
            if not self._is_unseeded_draw(call, methods_count):
                continue
            parents = parents or parents_of(model)
            held = self._held_generator(model, parents, call.node)
            if held is None:
                continue
            drawn = call.qualname.rsplit(".", 1)[-1] if call.qualname else f".{call.method}()"
            yield self.report(
                model, call.node,
                f"`{drawn}` draws without a generator although {held.where} holds one: the seed does not "
                f"control this draw; pass `generator={held.expression}`",
                fix=self._fix(call, held),
            )

    @staticmethod
    def _is_unseeded_draw(call, methods_count: bool) -> bool:
        if call.passes("generator") is not False or call.star_args:
            return False
        if call.qualname in catalog.TORCH_RANDOM_FUNCTIONS:
            # ``randn_tensor(shape, generator, device, dtype)``: the generator may come second.
            return not (call.qualname.endswith("randn_tensor") and call.positional(1) is not None)
        return methods_count and call.qualname is None and call.method in catalog.TENSOR_RANDOM_METHODS

    def _held_generator(self, model, parents, node) -> Optional[HeldGenerator]:
        draw_line = model.line(node)
        for definition in enclosing_definitions(parents, node):
            if isinstance(definition, cst.ClassDef):
                continue
            for param in parameters(definition):
                if _is_generator_parameter(model, param) and not param.star:
                    name = param.name.value
                    if not _in_none_branch(parents, node, name):
                        return HeldGenerator(name, False, f"parameter `{name}`")
            if isinstance(definition, cst.FunctionDef):
                seeded = model.memo(f"rpl113-locals-{id(definition)}", lambda _: _seeded_names(model, definition))
                for name, (statement, on_cpu) in seeded.items():
                    if model.line(statement) < draw_line and not _in_none_branch(parents, node, name):
                        return HeldGenerator(name, on_cpu, f"`{name}`")
                owner = parents.get(parents.get(definition))
                params = parameters(definition)
                if isinstance(owner, cst.ClassDef) and params and not _is_static_or_class_method(definition):
                    self_name = params[0].name.value
                    held = model.memo(f"rpl113-class-{id(owner)}", lambda _: _class_generators(model, owner))
                    for attr, (on_cpu, method, assignment) in sorted(held.items(), key=lambda item: item[0]):
                        expression = f"{self_name}.{attr}"
                        # In the method that sets it, only a draw after the assignment can use it.
                        if method is definition and model.line(assignment) >= draw_line:
                            continue
                        if not _in_none_branch(parents, node, expression):
                            return HeldGenerator(expression, on_cpu, f"`{expression}`")
        return None

    @staticmethod
    def _fix(call, held: HeldGenerator) -> Optional[Fix]:
        qualname = call.qualname or ""
        if not qualname.endswith("randn_tensor"):
            device = call.passed_value("device")
            cpu_draw = call.passes("device") is False or (
                device is not None and getattr(device, "value", None) == "cpu")
            if not (qualname.startswith("torch.") and not qualname.endswith("_like") and held.on_cpu and cpu_draw):
                return None
        return Fix(Applicability.UNSAFE, f"Pass `generator={held.expression}`",
                   replacements={call.node: keyword_setter("generator", cst.parse_expression(held.expression))})

    VALID = [
        Example(
            """
            import torch
            from diffusers.utils.torch_utils import randn_tensor

            def prepare_latents(shape, generator, device, dtype, latents=None):
                if latents is None:
                    latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
                return latents
            """
        ),
        Example(
            """
            import torch

            def add_noise(x, generator=None):
                if generator is None:
                    return x + torch.randn(x.shape)
                return x + torch.randn(x.shape, generator=generator)
            """,
            note="the draw without it runs only when there is no generator",
        ),
        Example(
            """
            import torch

            def dropout_mask(shape, p):
                return torch.rand(shape) > p
            """,
            note="no generator held",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers.utils.torch_utils import randn_tensor

            def prepare_latents(shape, generator, device, dtype):
                latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
                noise = torch.randn_like(latents)
                return latents + 0.1 * noise
            """,
            expect=[(6, 13)],
        ),
        Example(
            """
            import torch

            class NoiseAugment:
                def __init__(self, strength, seed=0):
                    self.strength = strength
                    self.generator = torch.Generator().manual_seed(seed)

                def __call__(self, image):
                    return image + self.strength * torch.randn(image.shape)
            """,
            expect=[(9, 40)],
            fixed="""
            import torch

            class NoiseAugment:
                def __init__(self, strength, seed=0):
                    self.strength = strength
                    self.generator = torch.Generator().manual_seed(seed)

                def __call__(self, image):
                    return image + self.strength * torch.randn(image.shape, generator=self.generator)
            """,
        ),
    ]


def _in_none_branch(parents: dict, node: cst.CSTNode, name: str) -> bool:
    """Whether ``node`` runs only where ``name`` is None: the body of ``if name is None:`` /
    ``if not name:``, or the other branch of ``if name is not None:`` / ``if name:`` (also as
    ``a if test else b``). A test of another name ending in ``generator``/``generators`` counts
    too: such names are derived from it (``generators = None if generator is None else [...]``)."""
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, (cst.If, cst.IfExp)):
            when_none = _none_test(parent.test, name)
            if when_none is not None:
                taken = child is parent.body
                if (when_none and taken) or (not when_none and child is parent.orelse):
                    return True
        child = parent
    return False


def _tests_generator(expr, name: str) -> bool:
    written = dotted_name(expr)
    return written is not None and (written == name or written.rsplit(".", 1)[-1].endswith(("generator", "generators")))


def _none_test(test, name: str) -> Optional[bool]:
    """True when ``test`` holds exactly when ``name`` is None, False when exactly when it is
    not, None when it tests something else."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _none_test(test.expression, name)
        return None if inner is None else not inner
    if _tests_generator(test, name):
        return False
    if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and _tests_generator(test.left, name) and isinstance(test.comparisons[0].comparator, cst.Name)
            and test.comparisons[0].comparator.value == "None"):
        operator = test.comparisons[0].operator
        if isinstance(operator, cst.Is):
            return True
        if isinstance(operator, cst.IsNot):
            return False
    return None
