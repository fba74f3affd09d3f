from __future__ import annotations

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import generator_before_loops, keyword_appender
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.semantic import catalog


class StochasticStepWithoutGenerator(Rule):
    """
    ## What it does
    Flags `<scheduler>.step(...)` without `generator=` (and without a `**kwargs` that may carry
    one) where that scheduler's `step` draws noise. Always: DDPM, DDPMParallel, DDPMWuerstchen,
    EulerAncestralDiscrete, KDPM2AncestralDiscrete, LCM, FlowMatchLCM, CMStochasticIterative,
    TCD (its default `eta=0.3`), RePaint, UnCLIP, SCM, LTXEulerAncestralRF and others. Under a
    setting: DDIM/DDIMParallel with `eta > 0` in the call; Euler/EDMEuler with `s_churn > 0`;
    DPMSolver* with an `sde-*` `algorithm_type`; FlowMatchEuler with `stochastic_sampling=True`;
    SASolver unless a `tau_func` is given. A `variance_noise=` argument supplies the noise and is
    not flagged. The table comes from diffusers' scheduler sources
    (`scripts/generate_scheduler_table.py`, shipped as `reprolint/data/schedulers.json`).

    The scheduler must be known: made in the module by its constructor, `.from_config(...)` or
    `.from_pretrained(...)` (also `pipe.scheduler = X.from_config(pipe.scheduler.config)`), or a
    parameter annotated with its class, with the settings that decide it passed as literals or
    left at their class defaults (a setting that may come in through `**kwargs` keeps it silent).
    {seeded-global-rng}

    ## Why is this bad?
    Without a generator the scheduler draws its step noise from torch's global random state, so
    a custom denoising loop that seeds its initial latents carefully still gives a different
    result every run.

    ## Example
    ```python
    scheduler = DDPMScheduler.from_pretrained(model_id, subfolder="scheduler")
    for t in scheduler.timesteps:
        latents = scheduler.step(noise_pred, t, latents).prev_sample
    ```

    ## Use instead
    ```python
    latents = scheduler.step(noise_pred, t, latents, generator=generator).prev_sample
    ```

    ## Fix safety
    Unsafe: the step noise, and so the result, changes. The fix passes a seeded CPU generator
    (`randn_tensor` moves its noise to the model's device). Inside a denoising loop it inserts
    `step_generator = torch.Generator("cpu").manual_seed(<seed>)` right before the outermost
    loop and passes `generator=step_generator` to the step, so one generator is threaded through
    the steps: each step draws different noise, and every run the same. Outside a loop the
    generator is created in the call. The seed comes from `--fix-seed`.

    ## Evidence
    - diffusers scheduler sources: `step()` draws with `randn_tensor(..., generator=generator)`.
    - diffusers docs, `reusing_seeds.md`, "Control randomness".
    """

    code = "RPL110"
    name = "stochastic-step-without-generator"
    summary = "noise-drawing `scheduler.step` without a generator"
    fix_safety = Applicability.UNSAFE
    triggers = ("Scheduler",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a diffusers scheduler
    verification = Verification(observe=Observe.FLAGGED_CALL)

    @classmethod
    def could_report(cls, facts) -> bool:
        return "step" in facts.ungenerated_calls  # every finding is a `.step(...)` without `generator=`

    def check(self, model):
        for call in model.calls:
            if call.method != "step" or call.passes("generator") is not False:
                continue
            if model.draws_from_seeded_global_rng(call.node):
                continue
            reason = model.step_noise(call)
            if reason is None:
                continue
            yield self.report(
                model, call.node,
                f"{reason}, and this call passes no `generator=`: the noise comes from torch's "
                "global random state; pass the loop's seeded generator",
                fix=self._fix(model, call),
            )

    def _fix(self, model, call):
        generator, imports, statements = generator_before_loops(
            model, call.node, self.settings.fix_seed, "step_generator")
        return Fix(Applicability.UNSAFE, "Pass a seeded generator to `step()`",
                   replacements={call.node: keyword_appender("generator", generator)},
                   imports=imports, statements_before=statements)

    VALID = [
        Example(
            """
            import torch
            from diffusers import DDPMScheduler

            scheduler = DDPMScheduler(num_train_timesteps=1000)
            generator = torch.Generator("cpu").manual_seed(0)
            for t in scheduler.timesteps:
                sample = scheduler.step(model_output, t, sample, generator=generator).prev_sample
            """
        ),
        Example(
            """
            from diffusers import DDIMScheduler

            scheduler = DDIMScheduler.from_pretrained("some/model", subfolder="scheduler")
            sample = scheduler.step(model_output, t, sample).prev_sample
            """,
            note="DDIM with the default eta=0 is deterministic",
        ),
        Example(
            """
            from diffusers import DDPMScheduler

            scheduler = DDPMScheduler()
            sample = scheduler.step(model_output, t, sample, **extra_step_kwargs).prev_sample
            """,
            note="**kwargs may carry a generator",
        ),
    ]
    INVALID = [
        Example(
            """
            from diffusers import DDPMScheduler

            scheduler = DDPMScheduler.from_pretrained("google/ddpm-cat-256")
            for t in scheduler.timesteps:
                sample = scheduler.step(model_output, t, sample).prev_sample
            """,
            expect=[(5, 14)],
            fixed="""
            from diffusers import DDPMScheduler
            import torch

            scheduler = DDPMScheduler.from_pretrained("google/ddpm-cat-256")
            step_generator = torch.Generator("cpu").manual_seed(0)
            for t in scheduler.timesteps:
                sample = scheduler.step(model_output, t, sample, generator=step_generator).prev_sample
            """,
        ),
        Example(
            """
            from diffusers import DiffusionPipeline, EulerAncestralDiscreteScheduler

            pipe = DiffusionPipeline.from_pretrained("some/model")
            pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(pipe.scheduler.config)
            latents = pipe.scheduler.step(noise_pred, t, latents).prev_sample
            """,
            expect=[(5, 11)],
        ),
        Example(
            """
            from diffusers import DDIMScheduler

            scheduler = DDIMScheduler()
            sample = scheduler.step(model_output, t, sample, eta=1.0).prev_sample
            """,
            expect=[(4, 10)],
        ),
    ]
