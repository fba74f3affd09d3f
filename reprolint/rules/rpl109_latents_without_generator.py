from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.fix.edits import cpu_generator, imports_of, keyword_setter, per_iteration_seed
from reprolint.rules.base import Example, Rule
from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name


class LatentsWithoutGenerator(Rule):
    """
    ## What it does
    Flags the random draw behind a pipeline's `latents=` argument when it was made by
    `torch.randn`/`rand`/`randn_like`/`randint`/`normal` (or diffusers' `randn_tensor`) without a
    `generator=`: `latents = torch.randn(shape)` followed by `pipe(..., latents=latents)`.
    Silent where torch's global generator was seeded on every path before the call
    (`torch.manual_seed`, `set_seed`, `seed_everything`, a seeding helper of the project or of the
    `seeding-helpers` setting, also in the function's callers): the draw is then the same from run
    to run. A seeding call on some paths only (`if args.seed is not None: set_seed(args.seed)`)
    does not count. RPL101, RPL109, RPL110 and RPL111 share this one notion.

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
    Unsafe: seeding the draw changes the latents, and so the image. The fix gives the draw
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

    def check(self, model):
        reported = set()
        for call in model.pipeline_calls:
            tensor = model.unseeded_tensor(call.passed_value("latents"))
            if tensor is None or id(tensor.drawn_at) in reported:
                continue
            if model.draws_from_seeded_global_rng(tensor.drawn_at):
                continue
            reported.add(id(tensor.drawn_at))
            yield self.report(
                model, tensor.drawn_at,
                f"these latents are drawn without `generator=` and passed to the pipeline call on line "
                f"{model.line(call.node)}: the image then depends on torch's global random state; "
                "pass a seeded generator to this draw",
                fix=self._fix(model, tensor.drawn_at),
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
            expect=[(5, 11)],
        ),
    ]
