from __future__ import annotations

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import integer, keyword_appender
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.semantic import catalog


class SdeSchedulerWithoutNoiseSeed(Rule):
    """
    ## What it does
    Flags `DPMSolverSDEScheduler(...)` and `DPMSolverSDEScheduler.from_config(...)` without
    `noise_sampler_seed=` (the table of such schedulers comes from diffusers' sources, see
    `scripts/generate_scheduler_table.py`).

    ## Why is this bad?
    This scheduler's `step()` takes no generator: its Brownian-tree noise sampler is seeded from
    `noise_sampler_seed`, and without one from torch's global random state. Passing a seeded
    generator to the pipeline then does not make the result reproducible.

    ## Example
    ```python
    pipe.scheduler = DPMSolverSDEScheduler.from_config(pipe.scheduler.config)
    ```

    ## Use instead
    ```python
    pipe.scheduler = DPMSolverSDEScheduler.from_config(pipe.scheduler.config, noise_sampler_seed=0)
    ```

    ## Fix safety
    Safe: adds `noise_sampler_seed=<seed>` (the `--fix-seed` value, default 0) as the last
    argument of the constructor or `from_config(...)` call, which only fixes the noise that was
    random before.

    ## Evidence
    - huggingface/diffusers#5024, huggingface/diffusers#3911.
    """

    code = "RPL112"
    name = "sde-scheduler-without-noise-seed"
    summary = "SDE scheduler without `noise_sampler_seed=`"
    fix_safety = Applicability.SAFE
    triggers = ("Scheduler",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a diffusers scheduler
    verification = Verification(observe=Observe.FLAGGED_CALL)

    def check(self, model):
        for call, scheduler in model.scheduler_creations:
            setting = catalog.scheduler_global_noise_seed(scheduler.class_name)
            if setting is None or scheduler.made_by == "from_pretrained":
                continue
            if scheduler.passes(setting) is not False:
                continue
            short = scheduler.class_name.rsplit(".", 1)[-1]
            yield self.report(
                model, call.node,
                f"`{short}` takes no generator in `step()`; without `{setting}=` its noise comes from "
                f"torch's global random state; pass `{setting}=<seed>`",
                fix=Fix(Applicability.SAFE, f"Add `{setting}={self.settings.fix_seed}`",
                        replacements={call.node: keyword_appender(setting, integer(self.settings.fix_seed))}),
            )

    VALID = [
        Example(
            """
            from diffusers import DPMSolverSDEScheduler

            pipe.scheduler = DPMSolverSDEScheduler.from_config(pipe.scheduler.config, noise_sampler_seed=0)
            """
        ),
        Example(
            """
            from diffusers import DPMSolverMultistepScheduler

            pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
            """
        ),
    ]
    INVALID = [
        Example(
            """
            from diffusers import DPMSolverSDEScheduler

            pipe.scheduler = DPMSolverSDEScheduler.from_config(pipe.scheduler.config, use_karras_sigmas=True)
            """,
            expect=[(3, 18)],
            fixed="""
            from diffusers import DPMSolverSDEScheduler

            pipe.scheduler = DPMSolverSDEScheduler.from_config(pipe.scheduler.config, use_karras_sigmas=True, noise_sampler_seed=0)
            """,
        ),
    ]
