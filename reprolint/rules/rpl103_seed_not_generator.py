from __future__ import annotations

import ast

import libcst as cst

from reprolint import prefilter
from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import cpu_generator, imports_of, seed_keyword_to_generator
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import Generator, GeneratorList, is_int_value


def _seed_named(expr: cst.BaseExpression) -> bool:
    """A parameter or attribute whose name says it holds a seed: ``seed``, ``args.seed``."""
    name = dotted_name(expr)
    return name is not None and _is_seed_name(name)


def _is_seed_name(name: str) -> bool:
    return catalog.names_a_seed(name.rsplit(".", 1)[-1])


class SeedNotGenerator(Rule):
    """
    ## What it does
    Flags an int passed where a generator belongs:
    - `generator=42`, or `generator=seed` where `seed` holds an int or is a parameter or
      attribute named like a seed (`seed`, `args.seed`, `self.seed`);
    - a `seed=` keyword on a pipeline call;
    - `torch.Generator(42)`.

    ## Why is this bad?
    Diffusers pipelines take no `seed` argument. Some accept `**kwargs` and silently drop it, so
    the call runs unseeded. An int passed as `generator=` fails deep inside the pipeline, or,
    worse, is ignored by a wrapper. And `torch.Generator(42)` does not seed anything: its first
    argument is the *device*, so 42 means CUDA device 42.

    ## Example
    ```python
    image = pipe(prompt, generator=args.seed).images[0]
    image = pipe(prompt, seed=0).images[0]
    ```

    ## Use instead
    ```python
    image = pipe(prompt, generator=torch.Generator("cpu").manual_seed(args.seed)).images[0]
    ```

    ## Fix safety
    Safe: `generator=torch.Generator("cpu").manual_seed(seed)` uses the very seed the code meant
    to use. The fix writes, with the module's own spelling of `torch`:
    - `generator=seed` -> `generator=torch.Generator("cpu").manual_seed(seed)`;
    - `seed=s` on a pipeline call -> `generator=torch.Generator("cpu").manual_seed(s)` (not when
      the call also passes `generator=`);
    - `torch.Generator(42)` -> `torch.Generator("cpu").manual_seed(42)`.

    ## Evidence
    - `torch.Generator(device='cpu')`: the positional argument is a device (PyTorch docs).
    - diffusers pipelines document `generator` and no `seed` parameter.
    """

    code = "RPL103"
    name = "seed-not-generator"
    summary = "an int seed passed where a generator belongs"
    fix_safety = Applicability.SAFE
    triggers = ("generator", "Generator", "seed")
    verification = Verification(observe=Observe.RECEIVING_CALL)

    def could_report(self, facts) -> bool:
        # torch.Generator(...) needs its name; a pipeline's seed= needs the keyword.
        if facts.words & catalog.GENERATOR_VALUE_NAMES or "seed" in facts.keywords:
            return True
        for expr in facts.keyword_arguments("generator"):
            if isinstance(expr, ast.Constant) and expr.value is None:
                continue
            name = prefilter.dotted_name(expr)
            if name is not None and _is_seed_name(name):
                return True
            while isinstance(expr, ast.Subscript):
                expr = expr.value
            base = prefilter.dotted_name(expr)
            # Only an assigned name or attribute can hold an int (parameters and imports never
            # do); anything that is not a plain name may compute one.
            if base is None or base.rsplit(".", 1)[-1] in facts.stored_names:
                return True
        return False

    def check(self, model):
        for call in model.calls:
            if call.qualname in catalog.GENERATOR_CLASSES:
                arg = call.positional(0) or call.keyword("device")
                if arg is not None and (is_int_value(arg.value) or _seed_named(arg.node.value)):
                    code = model.code(arg.node.value)
                    yield self.report(
                        model, arg.node.value,
                        f"`torch.Generator({code})` takes a device, not a seed: `{code}` is read as "
                        f'a CUDA device index; write torch.Generator("cpu").manual_seed({code})',
                        fix=self._constructor_fix(call, code),
                    )
                continue
            generator = call.keyword("generator")
            if generator is not None and not isinstance(generator.value, (Generator, GeneratorList)):
                expr = generator.node.value
                if is_int_value(generator.value) or (generator.value is None and _seed_named(expr)):
                    code = model.code(expr)
                    yield self.report(
                        model, expr,
                        f"`generator={code}` passes an int seed where a torch.Generator belongs; "
                        f'write generator=torch.Generator("cpu").manual_seed({code})',
                        fix=self._generator_fix(model, expr),
                    )
            if call.pipeline is not None:
                seed = call.keyword("seed")
                if seed is not None:
                    code = model.code(seed.node.value)
                    yield self.report(
                        model, seed.node,
                        f"pipelines take no `seed=` (it is dropped or rejected); pass "
                        f'generator=torch.Generator("cpu").manual_seed({code}) instead',
                        fix=self._seed_keyword_fix(model, call, seed),
                    )

    @staticmethod
    def message(seed_code: str) -> str:
        """The fix's title, with the seed the code passes (what the fix writes, not `<seed>`)."""
        return f'Use `torch.Generator("cpu").manual_seed({seed_code})`'

    def _generator_fix(self, model, expr):
        _, imports = cpu_generator(imports_of(model), None)
        return Fix(Applicability.SAFE, self.message(model.code(expr)), imports=imports,
                   replacements={expr: lambda updated: cpu_generator(imports_of(model), updated)[0]})

    def _seed_keyword_fix(self, model, call, seed):
        if call.passes("generator") is not False:
            return None
        rewrite, imports = seed_keyword_to_generator(model)
        return Fix(Applicability.SAFE, self.message(model.code(seed.node.value)), imports=imports,
                   replacements={seed.node: rewrite})

    def _constructor_fix(self, call, code: str):
        if len(call.node.args) != 1:
            return None

        def rewrite(updated: cst.Call) -> cst.Call:
            device = updated.args[0].with_changes(value=cst.SimpleString('"cpu"'))
            created = updated.with_changes(args=[device], lpar=[], rpar=[])
            seed = cst.Arg(updated.args[0].value)
            return cst.Call(cst.Attribute(created, cst.Name("manual_seed")), [seed],
                            lpar=updated.lpar, rpar=updated.rpar)

        return Fix(Applicability.SAFE, self.message(code), replacements={call.node: rewrite})

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(args.seed)).images[0]
            """
        ),
        Example(
            """
            import torch

            seed_generator = torch.Generator("cpu").manual_seed(3)
            noise = torch.randn((4,), generator=seed_generator)
            device_index = 0
            g = torch.Generator(f"cuda:{device_index}")
            """
        ),
    ]
    INVALID = [
        Example(
            """
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            image = pipe("a cat", generator=args.seed).images[0]
            """,
            expect=[(4, 33)],
            fixed="""
            from diffusers import StableDiffusionPipeline
            import torch

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(args.seed)).images[0]
            """,
        ),
        Example(
            """
            import torch as T

            g = T.Generator(42)
            """,
            expect=[(3, 17)],
        ),
    ]
