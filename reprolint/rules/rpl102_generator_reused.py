from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import COMPREHENSIONS, ancestors, enclosing_statement, integer, parents_of
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import Generator


def _made_at(model, use, obj) -> str:
    """``, made on line 5 (`torch.Generator("cpu")`),`` where the generator's creation is known."""
    origin = obj.created_at if not obj.opaque else None
    if obj.is_global and isinstance(use.value, Generator):
        origin = use.value.origin
    if origin is None or origin is use.expr:
        return ""
    if obj.made_in is not None:
        return f", made on {model.generator_made_at(obj)},"
    return f", made on {model.made_at(origin)},"


def _in_star_kwargs(use) -> bool:
    """The generator reaches the call in a ``**kwargs`` dict (``{"generator": g}``,
    ``dict(generator=g)``), not as its own ``generator=`` argument."""
    return any(arg.star == "**" and arg.value is use.expr for arg in use.call.node.args)


def _first_seed(model, obj) -> cst.BaseExpression | None:
    """The seed ``obj`` was first given with ``.manual_seed(seed)`` (for torch's global generator,
    also ``torch.manual_seed(seed)``), if it is a literal or a plain name (an expression that means
    the same wherever the fix repeats it)."""
    for call in model.calls:
        seeds_global = obj.is_global and call.qualname in catalog.GLOBAL_SEED_RETURNING_GENERATOR
        if not seeds_global and (
                call.method != "manual_seed" or not (isinstance(call.receiver, Generator) and call.receiver.obj is obj)):
            continue
        if len(call.node.args) != 1 or call.node.args[0].keyword is not None or call.node.args[0].star:
            return None
        seed = call.node.args[0].value
        if isinstance(seed, cst.Integer) or dotted_name(seed) is not None:
            return seed
        return None
    return None


class GeneratorReused(Rule):
    """
    ## What it does
    Flags a generator passed to a second pipeline call, or to a pipeline call inside a loop,
    without a `.manual_seed()` between the two calls on some path. This includes torch's global
    generator held in a name (`g = torch.manual_seed(1)` passed to two calls), which
    `torch.manual_seed`, `set_seed` or a seeding helper re-seeds, and a generator an object of
    the project keeps (`state.generator` or `self.state.generator`, where `state =
    ValidationState(seed)` of another module), re-seeded through that attribute chain
    (`self.state.generator.manual_seed(7)`). The finding is reported at the reusing call's
    `generator=` argument and names where the generator was made.

    ## Why is this bad?
    A pipeline call *consumes* its generator: it advances the generator's state by every number
    it draws. The second call therefore starts from wherever the first one stopped, so its
    result depends on everything before it: change the first prompt, the number of steps or the
    batch size, and the second image changes too. Re-running the second call alone never
    reproduces it. The diffusers guide (`reusing_seeds.md`) warns about consumed generators;
    users hit this in huggingface/diffusers#4055 and #4483.

    Threading one generator through the low-level calls of a custom denoising loop
    (`torch.randn(..., generator=g)`, `scheduler.step(..., generator=g)`,
    `latent_dist.sample(g)`) is the correct pattern and is not flagged. A function that passes
    its generator parameter on to a pipeline counts as a pipeline call at its call sites.

    ## Example
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    for prompt in prompts:
        image = pipe(prompt, generator=generator).images[0]
    ```

    ## Use instead
    ```python
    for prompt in prompts:
        generator = torch.Generator("cpu").manual_seed(0)
        image = pipe(prompt, generator=generator).images[0]
    ```

    ## Fix safety
    Unsafe: re-seeding before the call changes the second image (to the one a fresh run of that
    call alone gives). The fix inserts `g.manual_seed(<seed>)` on its own line right before the
    statement holding the reusing call, where `<seed>` is the seed `g` was first given when that
    is a literal or a plain name (`seed`, `args.seed`), else the `--fix-seed` value. Where no
    statement can take it (the call sits in a comprehension, a lambda or the header of a
    compound statement) the argument itself becomes `generator=g.manual_seed(<seed>)`, which
    re-seeds at the same moment. Inside a loop every iteration then starts from the same seed.
    Generators received from elsewhere (parameters) and lists of generators are not rewritten.

    ## Evidence
    - diffusers docs, `reusing_seeds.md`, tip on consumed generators.
    - huggingface/diffusers#4055, #4483.
    """

    code = "RPL102"
    name = "generator-reused"
    summary = "generator reused across pipeline calls without re-seeding"
    fix_safety = Applicability.UNSAFE
    triggers = ("Pipeline",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a pipeline call
    verification = Verification(
        observe=Observe.RECEIVING_CALL, compare=Compare.RESEEDED,
        drift="the reused generator vs a freshly seeded one: {difference}",
        no_drift="no drift observed (the reused generator gives what a freshly seeded one gives)")

    def check(self, model):
        for use in model.generator_uses:
            call = use.call
            if not use.at_pipeline:
                continue
            for obj in use.objects:
                consumers = use.states[obj].consumers
                if not consumers:
                    continue
                earlier = sorted({model.line(c) for c in consumers if c is not call.node})
                parts = []
                if earlier:
                    noun = "call at line" if len(earlier) == 1 else "calls at lines"
                    parts.append(f"by the {noun} " + ", ".join(map(str, earlier)))
                if call.node in consumers:
                    parts.append("by this same call on the previous loop iteration")
                where = " and ".join(parts)
                made = _made_at(model, use, obj)
                if _in_star_kwargs(use):
                    subject, reseed = f"the generator in `**{use.label}`", ""
                else:
                    subject, reseed = f"generator `{use.label}`", f" (`{use.label}.manual_seed(<seed>)`)"
                yield self.report(
                    model,
                    use.expr,
                    f"{subject}{made} was consumed {where}; re-seed it before reuse{reseed} "
                    "or create a fresh generator for this call",
                    fix=self._fix(model, use, obj),
                )
                break

    def _fix(self, model, use, obj):
        if obj.opaque or not isinstance(use.value, Generator) or dotted_name(use.expr) is None:
            return None
        if _in_star_kwargs(use):
            return None  # ``kwargs.manual_seed(...)`` would be no re-seed
        seed = _first_seed(model, obj) or integer(self.settings.fix_seed)
        reseed = f"{use.label}.manual_seed({model.code(seed)})"
        message = f"Re-seed with `{reseed}` before the call"
        parents = parents_of(model)
        statement = enclosing_statement(parents, use.call.node)
        repeats_inside = any(isinstance(a, (*COMPREHENSIONS, cst.Lambda)) for a in ancestors(parents, use.call.node))
        if isinstance(statement, cst.SimpleStatementLine) and not repeats_inside:
            return Fix(Applicability.UNSAFE, message, statements_before=((use.call.node, reseed),))
        return Fix(Applicability.UNSAFE, message, replacements={use.expr: cst.parse_expression(reseed)})

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            for prompt in ["a cat", "a dog"]:
                generator = torch.Generator("cpu").manual_seed(0)
                image = pipe(prompt, generator=generator).images[0]
            """
        ),
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            g = torch.Generator().manual_seed(0)
            first = pipe("a cat", generator=g).images[0]
            g.manual_seed(0)
            second = pipe("a cat", generator=g).images[0]
            """
        ),
        Example(
            """
            import torch

            g = torch.Generator().manual_seed(0)
            latents = torch.randn((1, 4, 64, 64), generator=g)
            for t in scheduler.timesteps:
                latents = scheduler.step(noise, t, latents, generator=g).prev_sample
            """,
            note="threading a generator through a custom loop is correct",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            g = torch.Generator().manual_seed(0)
            first = pipe("a cat", generator=g).images[0]
            second = pipe("a dog", generator=g).images[0]
            """,
            expect=[(7, 34)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            g = torch.Generator().manual_seed(0)
            first = pipe("a cat", generator=g).images[0]
            g.manual_seed(0)
            second = pipe("a dog", generator=g).images[0]
            """,
        ),
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            g = torch.Generator().manual_seed(0)
            for prompt in ["a cat", "a dog"]:
                image = pipe(prompt, generator=g).images[0]
            """,
            expect=[(7, 36)],
        ),
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            options = dict(generator=torch.Generator().manual_seed(0), num_inference_steps=20)
            first = pipe("a cat", **options).images[0]
            second = pipe("a dog", **options).images[0]
            """,
            expect=[(7, 26)],
            note="carried in a `**` dict: no fix (`options.manual_seed(...)` would be no re-seed)",
        ),
    ]
