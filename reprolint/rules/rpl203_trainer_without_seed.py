from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Verification
from reprolint.semantic import catalog


class TrainerWithoutSeed(Rule):
    """
    ## What it does
    Flags a PyTorch Lightning `Trainer(...)` (`lightning`, `lightning.pytorch` or
    `pytorch_lightning`) with no seeding call before it (`seed_everything`, `L.seed_everything`,
    `torch.manual_seed`, `set_seed`, or a helper named in `seeding-helpers`), and the
    `Accelerator(...)` of an accelerate training script (one that calls `backward`) with no
    `set_seed` (or other seeding call) anywhere. A seeding call in another function than the
    trainer's, whose order reprolint cannot tell, keeps it silent, as does a call of the
    project's own function named like `seed_everything`.

    Also flags, in a module that asks for determinism elsewhere (`enable_full_determinism()`,
    `torch.use_deterministic_algorithms(True)`, ...), a Lightning `Trainer(...)` that leaves
    `deterministic=` unset: the Trainer then calls `torch.use_deterministic_algorithms(False)`
    itself, silently undoing that setup.

    ## Why is this bad?
    Lightning and accelerate do not seed anything by themselves: model initialisation, dropout,
    data shuffling and augmentation all draw from the process's random state, which differs
    from run to run. Two runs of the same script then give different loss curves and different
    checkpoints, and a regression cannot be told from noise.

    ## Example
    ```python
    import lightning as L

    model = LitAutoEncoder()
    trainer = L.Trainer(max_epochs=10)
    trainer.fit(model, train_loader)
    ```

    ## Use instead
    ```python
    import lightning as L

    L.seed_everything(42, workers=True)
    model = LitAutoEncoder()
    trainer = L.Trainer(max_epochs=10, deterministic=True)
    trainer.fit(model, train_loader)
    ```

    ## Fix safety
    No automatic fix: which seed, and where in the script, is the author's decision.

    ## Evidence
    - Lightning docs, "Reproducibility": "call `seed_everything` ... and set
      `deterministic=True` in the Trainer".
    - Lightning's accelerator connector, `_init_deterministic`: `self.deterministic =
      deterministic or False  # default to False if not set` followed by
      `torch.use_deterministic_algorithms(self.deterministic)`, run by every `Trainer(...)`.
    - accelerate docs, `set_seed`: "Helper function for reproducible behavior to set the seed in
      random, numpy, torch".
    """

    code = "RPL203"
    name = "trainer-without-seed"
    summary = "Lightning Trainer / accelerate training without a seed"
    triggers = ("Trainer", "Accelerator")
    requires_imports = ("lightning", "pytorch_lightning", "accelerate")
    # A few optimizer steps with different process seeds: unseeded initialisation shows.
    verification = Verification(observe=None, training=True)

    def check(self, model):
        trainers = model.calls_to(*catalog.LIGHTNING_TRAINERS)
        for trainer in trainers:
            if not self._seeded_before(model, trainer):
                yield self.report(
                    model, trainer.node,
                    "Lightning Trainer with no seeding call before it: initialisation, dropout and shuffling "
                    "differ on every run; call `seed_everything(<seed>, workers=True)` first",
                )
        asked = model.lasting_determinism_setups  # a Trainer lacking `deterministic=` is none of them
        if asked:
            for trainer in trainers:
                if trainer.passes("deterministic") is False and not trainer.star_args:
                    yield self.report(
                        model, trainer.node,
                        f"this module asks for determinism (line {model.line(asked[0].node)}) but this Trainer "
                        "leaves `deterministic=` unset; pass `deterministic=True`",
                    )
        accelerators = model.calls_to(*catalog.ACCELERATOR_CLASSES)
        if accelerators and not model.may_seed_globally() and any(c.method == "backward" for c in model.calls):
            yield self.report(
                model, accelerators[0].node,
                "accelerate training script with no `set_seed`: initialisation, dropout and shuffling differ "
                "on every run; call `accelerate.utils.set_seed(<seed>)` before building the model",
            )

    @staticmethod
    def _seeded_before(model, trainer) -> bool:
        """A seeding call reached before the trainer: on every path (the flow analysis'
        fact, callers included), or at least earlier at module level or in the trainer's own
        scope (an optional ``if args.seed: seed_everything(args.seed)`` is the user's choice);
        one in another function may run first, so it counts too."""
        if trainer.global_seeded:
            return True
        if not model.may_seed_globally():
            return False
        order = model.call_order(trainer.node)
        seeding = model.seeding_calls or []
        if not seeding:
            return True  # a project helper named like a seeding function
        for call in seeding:
            if call.scope != trainer.scope and call.scope != "<module>":
                return True
            if model.call_order(call.node) < order:
                return True
        return False

    VALID = [
        Example(
            """
            import lightning as L

            L.seed_everything(42, workers=True)
            trainer = L.Trainer(max_epochs=10, deterministic=True)
            trainer.fit(model, train_loader)
            """
        ),
        Example(
            """
            from accelerate import Accelerator
            from accelerate.utils import set_seed

            def main(args):
                accelerator = Accelerator(gradient_accumulation_steps=args.accumulation_steps)
                if args.seed is not None:
                    set_seed(args.seed)
                for batch in loader:
                    loss = model(batch).loss
                    accelerator.backward(loss)
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import lightning as L

            model = LitAutoEncoder()
            trainer = L.Trainer(max_epochs=10)
            trainer.fit(model, train_loader)
            """,
            expect=[(4, 11)],
        ),
        Example(
            """
            from accelerate import Accelerator

            accelerator = Accelerator(mixed_precision="fp16")
            model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
            for batch in loader:
                loss = model(batch).loss
                accelerator.backward(loss)
                optimizer.step()
            """,
            expect=[(3, 15)],
        ),
    ]
