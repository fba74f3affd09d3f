from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification


class UnseededEntryPoint(Rule):
    """
    ## What it does
    Flags an entry-point module (one with `if __name__ == "__main__":`, or with pipeline calls or
    a training loop at its top level) that draws torch randomness from the global random state
    but makes no seeding call at all (`torch.manual_seed`, `set_seed`, `seed_everything`, ... or
    a helper named in the `seeding-helpers` setting; a call of the project's own function named
    like `seed_everything`/`setup_seed` also keeps it silent). Draws from the global state are pipeline
    calls without a generator, `torch.randn`-style calls without one, `latent_dist.sample()`
    without one, and training loops (`loss.backward()` in a loop: weight init, dropout,
    shuffling). Reported once, at the first such draw.

    ## Why is this bad?
    A script that never seeds starts from a different random state each run: its results cannot
    be reproduced, or even compared between two runs of the same code.

    ## Example
    ```python
    if __name__ == "__main__":
        noise = torch.randn(4, 3)
    ```

    ## Use instead
    ```python
    if __name__ == "__main__":
        torch.manual_seed(0)
        noise = torch.randn(4, 3)
    ```

    ## Fix safety
    No automatic fix: where and with which seed to seed is the author's decision.

    ## Evidence
    - PyTorch docs, `notes/randomness.rst`: "You can use torch.manual_seed() to seed the RNG for
      all devices".
    """

    code = "RPL202"
    name = "unseeded-entry-point"
    summary = "entry point that draws randomness but never seeds"
    default = False
    # A finding needs a draw from the global generator: a pipeline call, a torch random function,
    # `latent_dist.sample()` or a training loop (an entry point may be a notebook or an app, which
    # the text does not tell).
    triggers = ("Pipeline", "torch", "backward", "latent_dist")
    # Two runs with different process seeds: the reported draw's output shows it; a training loop
    # (no call's output to record) shows in its first optimizer steps.
    verification = Verification(observe=Observe.NAMED_BY_RULE, training=True)

    def check(self, model):
        if model.may_seed_globally() or not model.is_entry_point():
            return
        draws = model.global_rng_draws()
        if draws:
            node, description = draws[0]
            draw = model.call_fact(node)
            training = draw is not None and draw.method == "backward"  # the loop's steps show it
            yield self.report(
                model, node,
                f"this entry point draws randomness ({description}) but never seeds: call "
                "torch.manual_seed(<seed>) (or set_seed) at its start",
                observed=() if training else (node,),
            )

    VALID = [
        Example(
            """
            import torch

            if __name__ == "__main__":
                torch.manual_seed(0)
                print(torch.randn(3))
            """
        ),
        Example(
            """
            import torch

            def noise(shape):
                return torch.randn(shape)
            """,
            note="a library module, not an entry point",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            def main():
                print(torch.randn(3))

            if __name__ == "__main__":
                main()
            """,
            expect=[(4, 11)],
        ),
    ]

