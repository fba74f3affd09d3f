from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.semantic import catalog


class LatentsWithoutGenerator(Rule):
    """
    ## What it does
    Flags the random draw behind a pipeline's `latents=` argument when it was made by
    `torch.randn`/`rand`/`randn_like`/`randint`/`normal` (or diffusers' `randn_tensor`) without a
    `generator=`: `latents = torch.randn(shape)` followed by `pipe(..., latents=latents)`.

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
    No automatic fix yet. Seeding the draw would be an unsafe fix: it changes the latents, and
    so the image.

    ## Evidence
    - diffusers docs, `reusing_seeds.md`: pass a seeded generator to every random draw.
    - huggingface/diffusers#247.
    """

    code = "RPL109"
    name = "latents-without-generator"
    summary = "`latents=` drawn without a generator"
    triggers = ("latents",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a pipeline call

    def check(self, model):
        reported = set()
        for call in model.pipeline_calls:
            tensor = model.unseeded_tensor(call.passed_value("latents"))
            if tensor is None or id(tensor.drawn_at) in reported:
                continue
            reported.add(id(tensor.drawn_at))
            yield self.report(
                model, tensor.drawn_at,
                f"these latents are drawn without `generator=` and passed to the pipeline call on line "
                f"{model.line(call.node)}: the image then depends on torch's global random state; "
                "pass a seeded generator to this draw",
            )

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
