from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import cpu_generator, imports_of, keyword_setter, per_iteration_seed
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name


class LatentsWithoutGenerator(Rule):
    """
    ## What it does
    Flags each pipeline call whose `latents=` argument comes from a random draw made without a
    `generator=`: `torch.randn`/`rand`/`randn_like`/`randint`/`normal` (or diffusers'
    `randn_tensor`), directly or through a name, arithmetic (`* scheduler.init_noise_sigma`) or
    `.to(...)`/`.half()`. `latents = torch.randn(shape)` followed by `pipe(..., latents=latents)`.

    The finding is reported at that call's `latents=` argument (or at the `**kwargs` that carry
    it), once per call, and names the line of the draw, so `# noqa` works call by call. Not
    flagged: latents drawn with a generator, latents loaded or computed otherwise, and draws made
    where torch's global generator was seeded on every path before them (`torch.manual_seed`,
    `set_seed`, a seeding helper, also in the function's callers).
    {seeded-global-rng}

    ## Why is this bad?
    A pipeline given `latents` does not draw its initial noise, so its own `generator` no longer
    matters for them: the image is decided by `torch.randn`, which here reads torch's global
    random state. Any other random draw earlier in the process shifts it, and the image changes.

    ## Example
    ```python
    latents = torch.randn((1, 4, 64, 64))
    image = pipe(prompt, latents=latents).images[0]
    ```

    ## Use instead
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    latents = torch.randn((1, 4, 64, 64), generator=generator)
    image = pipe(prompt, latents=latents).images[0]
    ```

    ## Fix safety
    Unsafe: seeding the draw changes the latents, and so the image. The fix edits the draw, not
    the call (several calls receiving the same latents share that one edit): it gives the draw
    `generator=torch.Generator("cpu").manual_seed(<seed>)` (seed from `--fix-seed`, made
    distinct per iteration inside loops as RPL101's fix does). A generator must live on the
    device the draw fills, so a draw with `device=<d>` gets `torch.Generator(<d>)` and
    `torch.randn_like(x)` gets `torch.Generator(x.device)`; diffusers' `randn_tensor` moves CPU
    noise itself and gets the CPU generator.

    ## Evidence
    - diffusers docs, `reusing_seeds.md`: pass a seeded generator to every random draw.
    - huggingface/diffusers#247.
    """

    code = "RPL109"
    name = "latents-without-generator"
    summary = "`latents=` drawn without a generator"
    fix_safety = Applicability.UNSAFE
    triggers = ("latents",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a pipeline call
    verification = Verification(observe=Observe.RECEIVING_CALL)

    def check(self, model):
        fixes: dict = {}  # draw node -> the one Fix every finding about it shares
        for call in model.pipeline_calls:
            expr, value = call.passed("latents")
            tensor = model.unseeded_tensor(value)
            if tensor is None or model.draws_from_seeded_global_rng(tensor.drawn_at):
                continue
            draw = tensor.drawn_at
            if id(draw) not in fixes:
                fixes[id(draw)] = self._fix(model, draw)
            if model.encloses(expr, draw):
                subject = "these latents are drawn without `generator=`"
            else:
                subject = f"the latents drawn on {model.made_at(draw)} without `generator=` are passed to this pipeline call"
            yield self.report(
                model, expr,
                f"{subject}: the image then depends on torch's global random state; "
                "pass a seeded generator to that draw",
                fix=fixes[id(draw)],
            )

    def _fix(self, model, draw):
        if not isinstance(draw, cst.Call):
            return None
        qualified = model.imports.resolve(draw.func) or ""
        device = next((a.value for a in draw.args if a.keyword is not None and a.keyword.value == "device"), None)
        if qualified.endswith("randn_tensor") or (
                isinstance(device, cst.SimpleString) and device.evaluated_value == "cpu"):
            device = None
        elif device is None and qualified.endswith("_like"):
            source = draw.args[0].value if draw.args and draw.args[0].keyword is None else None
            if source is None or dotted_name(source) is None:
                return None
            device = cst.Attribute(source, cst.Name("device"))
        seed, loop_imports, statements = per_iteration_seed(model, draw, self.settings.fix_seed)
        generator, imports = cpu_generator(imports_of(model), seed)
        if device is not None:
            created = generator.func.value
            generator = generator.with_changes(func=generator.func.with_changes(
                value=created.with_changes(args=[cst.Arg(device)])))
        return Fix(Applicability.UNSAFE, f"Draw with `generator={model.code(generator)}`",
                   replacements={draw: keyword_setter("generator", generator)},
                   imports=imports + loop_imports, statements_before=statements)

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            generator = torch.Generator("cpu").manual_seed(0)
            latents = torch.randn((1, 4, 64, 64), generator=generator)
            image = pipe("a cat", latents=latents).images[0]
            """
        ),
        Example(
            """
            import torch

            noise = torch.randn((1, 4, 64, 64))
            print(noise.std())
            """,
            note="not passed to a pipeline",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            latents = torch.randn((1, 4, 64, 64), dtype=torch.float16)
            image = pipe("a cat", latents=latents.to("cuda")).images[0]
            """,
            expect=[(6, 31)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            latents = torch.randn((1, 4, 64, 64), dtype=torch.float16, generator=torch.Generator("cpu").manual_seed(0))
            image = pipe("a cat", latents=latents.to("cuda")).images[0]
            """,
        ),
    ]
