from __future__ import annotations

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import (cpu_generator, imports_of, keyword_appender, per_iteration_seed,
                                   seed_keyword_to_generator)
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.semantic import catalog


class PipelineCallWithoutGenerator(Rule):
    """
    ## What it does
    Flags a call of a diffusers pipeline object that passes no `generator=` (and no `latents=`).
    Pipeline objects include those of classes the project derives from a diffusers pipeline, in
    any module (`from pipeline_custom import MyPipeline`), and those returned by project helpers
    (`pipe = load_pipeline()` where `load_pipeline` returns `XPipeline.from_pretrained(...)`).
    {seeded-global-rng}

    ## Why is this bad?
    Without a generator the pipeline draws its initial noise from torch's global random state.
    Every run, and every other random draw before the call, changes that state, so the same
    prompt gives a different image each time. The diffusers guide on reproducibility
    ("reusing_seeds.md", *Control randomness*) says to pass a seeded `torch.Generator` instead;
    the problem was first reported in huggingface/diffusers#902.

    Pipelines whose `__call__` takes no generator at all (they draw no noise, such as
    `FluxPriorReduxPipeline`) are not flagged. A call that passes `latents=` is left to RPL109,
    and a call that passes `**kwargs` that may carry a generator is not flagged either.

    ## Example
    ```python
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    image = pipe("an astronaut riding a horse").images[0]
    ```

    ## Use instead
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    image = pipe("an astronaut riding a horse", generator=generator).images[0]
    ```

    ## Fix safety
    Unsafe: adding a generator changes which image comes out (on purpose). The fix appends
    `generator=torch.Generator("cpu").manual_seed(<seed>)` to the call, with the seed from
    `--fix-seed` (default 0), spelling `torch` as the module imports it (`T.Generator` under
    `import torch as T`) and adding `import torch` only when it is missing.

    A call that passes `seed=` (which pipelines ignore or reject, RPL103) keeps the seed its author
    chose: `seed=1234` becomes `generator=torch.Generator("cpu").manual_seed(1234)`, RPL103's own
    (safe) fix, which the editor offers first.

    Inside a loop one seed would give every iteration the same noise, so the seed is made
    distinct per iteration: in `for i in range(...)` or `for i, x in enumerate(...)` the fix
    writes `manual_seed(<seed> + i)` (iteration `i` can then be regenerated alone); in any other
    loop, nested loops or a comprehension it inserts `generator_seeds = itertools.count(<seed>)`
    before the outermost loop and writes `manual_seed(next(generator_seeds))`.

    ## Evidence
    - diffusers docs, `reusing_seeds.md`, "Control randomness".
    - huggingface/diffusers#902.
    """

    code = "RPL101"
    name = "pipeline-call-without-generator"
    summary = "pipeline call without `generator=`"
    fix_safety = Applicability.UNSAFE
    triggers = ("Pipeline",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a pipeline call
    verification = Verification(observe=Observe.FLAGGED_CALL)

    def check(self, model):
        for call in model.pipeline_calls:
            if not catalog.is_sampling_pipeline_class(call.pipeline.class_name):
                continue
            if call.passes("generator") is not False or call.passes("latents") is not False:
                continue
            if call.star_args or model.draws_from_seeded_global_rng(call.node):
                continue
            yield self.report(
                model,
                call.node,
                "pipeline call without `generator=`: every run draws fresh noise; pass "
                'generator=torch.Generator("cpu").manual_seed(<seed>)',
                fix=self._fix(model, call),
            )

    def _fix(self, model, call) -> Fix:
        passed_seed = call.keyword("seed")
        if passed_seed is not None:
            # `pipe(prompt, seed=1234)`: the author chose a seed (which the pipeline ignores, RPL103).
            # Seed the generator with it, in place of `seed=`, rather than add a second seed.
            rewrite, imports = seed_keyword_to_generator(model)
            code = model.code(passed_seed.node.value)
            return Fix(Applicability.UNSAFE, f'Replace `seed={code}` by `generator=torch.Generator("cpu").manual_seed({code})`',
                       replacements={passed_seed.node: rewrite}, imports=imports)
        seed, loop_imports, statements = per_iteration_seed(model, call.node, self.settings.fix_seed)
        generator, imports = cpu_generator(imports_of(model), seed)
        return Fix(
            Applicability.UNSAFE,
            f"Add `generator={model.code(generator)}`",
            replacements={call.node: keyword_appender("generator", generator)},
            imports=imports + loop_imports,
            statements_before=statements,
        )

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            generator = torch.Generator("cpu").manual_seed(0)
            image = pipe("a photo of a cat", generator=generator).images[0]
            """
        ),
        Example(
            """
            from diffusers import FluxPriorReduxPipeline

            redux = FluxPriorReduxPipeline.from_pretrained("black-forest-labs/FLUX.1-Redux-dev")
            prior = redux(image)
            """,
            note="draws no noise",
        ),
        Example(
            """
            from diffusers import DiffusionPipeline

            def run(pipe, **kwargs):
                return pipe("a dog", **kwargs)

            pipe = DiffusionPipeline.from_pretrained("some/model")
            inputs = {"prompt": "a dog", "generator": make_generator()}
            out = pipe(**inputs)
            """,
        ),
        Example(
            """
            pipe = load_something()
            image = pipe("not known to be a diffusers pipeline")
            """,
        ),
    ]
    INVALID = [
        Example(
            """
            from diffusers import StableDiffusionPipeline as SD

            pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            image = pipe("a photo of a cat").images[0]
            """,
            expect=[(4, 9)],
            fixed="""
            from diffusers import StableDiffusionPipeline as SD
            import torch

            pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            image = pipe("a photo of a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """,
        ),
        Example(
            """
            import diffusers

            class Generator:
                def __init__(self):
                    self.pipe = diffusers.DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")

                def __call__(self):
                    return self.pipe(num_inference_steps=50).images
            """,
            expect=[(8, 16)],
        ),
    ]
