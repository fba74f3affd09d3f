from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.semantic import catalog


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
    # A finding needs an entry point: a main guard, a top-level pipeline call or a training loop.
    triggers = ("__main__", "Pipeline", "backward")

    def check(self, model):
        if model.may_seed_globally():
            return
        draws = _global_draws(model)
        if not draws:
            return
        top_level = [node for node, scope, _ in draws if scope == "<module>"]
        training = [c for c in model.calls if c.method == "backward" and c.scope == "<module>" and c.loop_depth]
        if model.main_guard is None and not top_level and not training:
            return
        node, _, description = draws[0]
        yield self.report(
            model, node,
            f"this entry point draws randomness ({description}) but never seeds: call "
            "torch.manual_seed(<seed>) (or set_seed) at its start",
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


def _global_draws(model) -> list:
    """(node, scope, description) of every draw from the global random state, in order."""
    draws = []
    samples = {id(c) for c in model.distribution_samples}
    for call in model.calls:
        if call.pipeline is not None:
            if (catalog.is_sampling_pipeline_class(call.pipeline.class_name)
                    and call.passes("generator") is False and call.passes("latents") is False
                    and not call.star_args):
                draws.append((call.node, call.scope, "a pipeline call without a generator"))
        elif call.qualname in catalog.TORCH_RANDOM_FUNCTIONS and call.passes("generator") is False:
            draws.append((call.node, call.scope, f"`{call.qualname}` without a generator"))
        elif id(call) in samples and call.passes("generator") is False and not call.arguments:
            draws.append((call.node, call.scope, "`latent_dist.sample()` without a generator"))
        elif call.method == "backward" and call.loop_depth:
            draws.append((call.node, call.scope, "a training loop"))
    return draws
