from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.values import Const, Generator, Sequence


class BatchSharesGenerator(Rule):
    """
    ## What it does
    Flags a pipeline call that makes several images (`num_images_per_prompt > 1`, or a list of
    prompts) from one single generator.

    ## Why is this bad?
    The pipeline draws the noise for the whole batch from that generator in one go. The batch
    reproduces as a whole, but no single image of it can be regenerated on its own: running the
    third prompt alone with the same seed gives a different image from the third image of the
    batch. Passing one generator per image (a list) makes every image reproducible by itself.

    ## Example
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    images = pipe(prompt, num_images_per_prompt=4, generator=generator).images
    ```

    ## Use instead
    ```python
    generators = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
    images = pipe(prompt, num_images_per_prompt=4, generator=generators).images
    ```

    ## Fix safety
    No automatic fix: per-image generators change every image of the batch.

    ## Evidence
    - diffusers docs, `reusing_seeds.md` and `batched_inference.md`: one generator per image.
    - huggingface/diffusers#6233, huggingface/diffusers#3158.
    """

    code = "RPL108"
    name = "batch-shares-generator"
    summary = "a batch of images drawn from one generator"
    default = False
    triggers = ("generator",)
    verification = Verification(
        observe=Observe.RECEIVING_CALL, compare=Compare.ALONE,
        drift="the last image of the batch, regenerated alone from the same seed, differs: {difference}",
        no_drift="no drift observed (the last image of the batch regenerates alone)")

    def check(self, model):
        for use in model.generator_uses:
            call = use.call
            if call.pipeline is None or not catalog.is_sampling_pipeline_class(call.pipeline.class_name):
                continue
            if not isinstance(use.value, Generator) or use.value.obj.opaque or use.value.obj.is_global:
                continue
            batch = _batch_description(call)
            if batch is None:
                continue
            yield self.report(
                model, use.expr,
                f"one generator `{use.label}` for {batch}: no image of the batch can be regenerated "
                "alone; pass a list of generators, one per image",
            )

    VALID = [
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
            generators = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
            images = pipe("a cat", num_images_per_prompt=4, generator=generators).images
            """
        ),
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
            generator = torch.Generator("cpu").manual_seed(0)
            image = pipe("a cat", num_images_per_prompt=1, generator=generator).images[0]
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
            generator = torch.Generator("cpu").manual_seed(0)
            images = pipe("a cat", num_images_per_prompt=4, generator=generator).images
            """,
            expect=[(6, 59)],
        ),
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
            prompts = ["a cat", "a dog"]
            images = pipe(prompts, generator=torch.Generator("cpu").manual_seed(0)).images
            """,
            expect=[(6, 34)],
        ),
    ]


def _batch_description(call):
    count = call.passed_value("num_images_per_prompt")
    if isinstance(count, Const) and type(count.value) is int and count.value > 1:
        return f"num_images_per_prompt={count.value}"
    prompt = call.keyword("prompt") or call.positional(0)
    if prompt is not None and isinstance(prompt.value, Sequence) and (prompt.value.length or 0) > 1:
        return f"a batch of {prompt.value.length} prompts"
    return None
