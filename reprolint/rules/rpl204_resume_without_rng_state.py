from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Verification
from reprolint.semantic import resume, training
from reprolint.versions import (ACCELERATE_DATALOADER_CONFIGURATION, ACCELERATE_LOAD_STATE, ACCELERATE_SEEDABLE_SAMPLER,
                                ACCELERATE_SEEDABLE_SAMPLER_WORKS, ACCELERATE_SKIP_FIRST_BATCHES, shown,
                                target_versions)


def accelerate_advice(version: tuple) -> str:
    """What accelerate ``version`` offers a script that resumes, as the finding's advice (see the
    rule page: each release read off accelerate's tags)."""
    if version < ACCELERATE_LOAD_STATE:
        return (f" (accelerate {shown(version)} has no save_state/load_state: they come in "
                f"{shown(ACCELERATE_LOAD_STATE)})")
    advice = ", or checkpoint with accelerator.save_state/load_state, which restores them"
    if version < ACCELERATE_SKIP_FIRST_BATCHES:
        return advice + (f"; the data order is then yours to restore (accelerate {shown(version)} has no "
                         f"skip_first_batches: it comes in {shown(ACCELERATE_SKIP_FIRST_BATCHES)})")
    advice += "; the data order also needs accelerator.skip_first_batches to resume inside an epoch"
    if version < ACCELERATE_SEEDABLE_SAMPLER:
        return advice + (f" (accelerate {shown(version)} has no seedable sampler: "
                         f"use_seedable_sampler comes in {shown(ACCELERATE_SEEDABLE_SAMPLER)})")
    if version < ACCELERATE_SEEDABLE_SAMPLER_WORKS:
        return advice + (f" (in accelerate {shown(version)}, Accelerator(use_seedable_sampler=True) has no effect: "
                         f"prepare drops the sampler until {shown(ACCELERATE_SEEDABLE_SAMPLER_WORKS)}, accelerate#2333)")
    if version < ACCELERATE_DATALOADER_CONFIGURATION:
        return advice + " and Accelerator(use_seedable_sampler=True) for the same shuffling"
    return advice + (" and Accelerator(dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True)) "
                     "for the same shuffling")


class ResumeWithoutRngState(Rule):
    """
    ## What it does
    Flags a training script (a module that runs a backward pass) that resumes from a checkpoint,
    an optimizer's `load_state_dict(...)` of something loaded from a file (`torch.load(...)`, a
    name bound to it or an item of it, or a name such as `checkpoint`/`ckpt`), but restores none
    of torch's, CUDA's, numpy's or Python's random states anywhere in the module. Restoring is any
    of `torch.set_rng_state`, `torch.cuda.set_rng_state(_all)`, `np.random.set_state`,
    `random.setstate`, a generator's `set_state`, accelerate's `accelerator.load_state(...)`, or a
    call of a helper named like one (`restore_rng(...)`, `set_random_state(...)`). Reported at the
    optimizer's `load_state_dict`.

    ## Why is this bad?
    The resumed run starts its random streams afresh (or from the seed again), so dropout masks,
    noise, sampled timesteps and data shuffling differ from those of the uninterrupted run from
    the resume step on: two runs of the same configuration end with different weights depending
    on whether, and where, they were interrupted (accelerate#2016, #2823).

    What is true for accelerate (read from its release tags), and what the finding's advice says
    for the accelerate version the code targets (`target-version`, else the project's pins, else
    the newest release; see docs/configuration.md):
    - `Accelerator.load_state` restores Python's, numpy's, torch's and CUDA's random states,
      saved by `save_state`: `load_accelerator_state` calls `random.setstate`,
      `np.random.set_state`, `torch.set_rng_state` and `torch.cuda.set_rng_state_all` from 0.6.0,
      the first release with `load_state` (0.5.1 has none). Before 0.6 the advice names the
      manual restore only.
    - The data order needs more: `skip_first_batches` (from accelerate 0.16.0) to resume inside an
      epoch, and a seedable sampler so that the epoch's permutation is the same:
      `Accelerator(use_seedable_sampler=True)` in 0.26 and 0.27 (off by default since
      accelerate#2319), `Accelerator(dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True))`
      from 0.28.0 (still off by default in 1.14). Before 0.27.2 the seedable sampler was set on
      the data loader that `prepare` replaces, so it had no effect (accelerate#2333, fixed by
      #2434: present in 0.27.2, absent in 0.27.0 and 0.27.1); the advice for 0.26 to 0.27.1 says
      so.

    ## Example
    ```python
    checkpoint = torch.load(args.resume)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    ```

    ## Use instead
    ```python
    # saving: torch.save({..., "rng": {"torch": torch.get_rng_state(),
    #     "cuda": torch.cuda.get_rng_state_all(), "numpy": np.random.get_state(),
    #     "python": random.getstate()}}, path)
    checkpoint = torch.load(args.resume, weights_only=False)
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    torch.cuda.set_rng_state_all(checkpoint["rng"]["cuda"])
    np.random.set_state(checkpoint["rng"]["numpy"])
    random.setstate(checkpoint["rng"]["python"])
    ```
    or, with accelerate, `accelerator.save_state(path)` / `accelerator.load_state(path)`.

    ## Fix safety
    No automatic fix: the states must first be saved with the checkpoint, in code that may live
    elsewhere.

    ## Verification
    `--verify` trains, checkpoints and resumes: it runs the script until it has made two
    optimizer steps and then a checkpoint (a `torch.save`; at most 50 steps), stops it, and runs
    it again in the same folder so that it resumes; then it runs the script uninterrupted to the
    same step. The losses of the two steps after the resume and the final weights are compared
    with those of the uninterrupted run ("drift confirmed on cpu: resumed from the checkpoint of
    step 2, the next 2 training steps differ from the uninterrupted run's: losses ..., final
    weights ..."). The fix is then shown by a third run that restores the random states the
    process had at the checkpoint right after the optimizer loads its state: "identical" where
    the random states are all that the resume loses; "still differs" where something else is
    lost too (the data order, the step count). Both runs get the same arguments, so the script
    must resume by itself when its checkpoint exists (`if os.path.exists(path)`, or an option
    such as `--resume_from_checkpoint latest` in `verify-args`). A script that saves no checkpoint
    soon, or does not resume when run again, is skipped with the reason.

    ## Evidence
    - huggingface/accelerate#2016, #2823 (resumed runs that diverge), #2333 (seedable sampler).
    - PyTorch notes, "Reproducibility": random states are per process and not part of a
      `state_dict`.
    """

    code = "RPL204"
    name = "resume-without-rng-state"
    summary = "resuming from a checkpoint without restoring any random state"
    triggers = ("load_state_dict",)
    requires_imports = ("torch",)
    verification = Verification(observe=None, compare=Compare.RESUMED, training=True)

    def check(self, model):
        if not any(call.method == "load_state_dict" for call in model.calls):
            return
        if resume.restores_rng_state(model) or not training.trains(model):
            return
        resumes = resume.optimizer_resumes(model)
        advice = ("save the random states with the checkpoint and restore them here "
                  "(torch.set_rng_state, torch.cuda.set_rng_state_all, np.random.set_state, random.setstate)")
        if resume.uses_accelerate(model):
            advice += accelerate_advice(target_versions(self.settings.target_version, model.path).accelerate)
        for call in resumes:
            yield self.report(
                model, call.node,
                "the optimizer resumes from a checkpoint but no random state is restored: the resumed run "
                f"draws different dropout, noise and shuffling than an uninterrupted one; {advice}",
            )

    VALID = [
        Example(
            """
            import random
            import numpy as np
            import torch

            checkpoint = torch.load(args.resume)
            optimizer.load_state_dict(checkpoint["optimizer"])
            torch.set_rng_state(checkpoint["rng"]["torch"])
            np.random.set_state(checkpoint["rng"]["numpy"])
            random.setstate(checkpoint["rng"]["python"])
            for batch in loader:
                loss = model(batch).mean()
                loss.backward()
                optimizer.step()
            """,
        ),
        Example(
            """
            import torch
            from accelerate import Accelerator

            accelerator = Accelerator()
            model, optimizer = accelerator.prepare(model, optimizer)
            if args.resume_from_checkpoint:
                accelerator.load_state(args.resume_from_checkpoint)
            for batch in loader:
                accelerator.backward(model(batch).mean())
                optimizer.step()
            """,
            note="accelerate's load_state restores the random states",
        ),
        Example(
            """
            import torch

            optimizer.load_state_dict(torch.load("optimizer.pt"))
            """,
            note="no training here: a conversion or inspection script",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            if args.resume:
                state = torch.load(args.resume, map_location="cpu")
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["opt"])
            for batch in loader:
                loss = model(batch).mean()
                loss.backward()
                optimizer.step()
            """,
            expect=[(7, 5)],
        ),
    ]
