from __future__ import annotations

from reprolint.rules.base import Example, Rule


class SeedTruthiness(Rule):
    """
    ## What it does
    Flags a seed tested for truth: `... if seed else ...`, `if args.seed:`, `if not self.seed:`,
    `seed or default`, where the tested name or attribute contains `seed` (`seed`,
    `args.seed`, `cfg.train.seed`, `random_seed`, `seed_value`). Names of flags, collections,
    functions and other numbers (`use_seed`, `seeds`, `seed_indices`, `seed_worker`,
    `seed_offset`) and names known to hold something other than an int are not flagged.

    ## Why is this bad?
    `0` is a valid seed and a false value: `generator = make(seed) if seed else None` treats
    `--seed 0` as "no seed", so the run is silently unseeded. diffusers fixed this same bug
    across 15 of its example scripts.

    ## Example
    ```python
    generator = torch.Generator().manual_seed(args.seed) if args.seed else None
    ```

    ## Use instead
    ```python
    generator = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
    ```

    ## Fix safety
    No automatic fix yet. Testing `is not None` instead (`is None` for `not seed`; `seed if seed
    is not None else default` for `seed or default`) would be a safe fix: only seed 0 behaves
    differently, as intended.

    ## Evidence
    - huggingface/diffusers#10964 (the fix across 15 example scripts).
    """

    code = "RPL201"
    name = "seed-truthiness"
    summary = "seed tested for truth (seed 0 counts as no seed)"
    triggers = ("seed", "SEED", "Seed")

    @classmethod
    def could_report(cls, facts) -> bool:
        # Every finding tests a name or attribute whose last part names a seed.
        return any("seed" in word.lower() for word in facts.words)

    def check(self, model):
        for test in model.seed_truth_tests:
            if test.kind == "or":
                message = f"`{test.label} or ...` replaces seed 0 with the default; use `is not None`"
            else:
                message = f"`{test.label}` tested for truth: seed 0 counts as no seed; test `is not None`"
            yield self.report(model, test.node, message)

    VALID = [
        Example(
            """
            import torch

            generator = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
            """
        ),
        Example(
            """
            if args.use_seed:
                seeds = [1, 2, 3]
            if seeds:
                print(seeds)
            """,
            note="flags and collections are not seeds",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            generator = torch.Generator().manual_seed(args.seed) if args.seed else None
            """,
            expect=[(3, 57)],
        ),
        Example(
            """
            def main(seed=None):
                if not seed:
                    seed = 42
                return seed
            """,
            expect=[(2, 8)],
        ),
        Example(
            """
            seed = cfg.train.seed or 1234
            """,
            expect=[(1, 8)],
        ),
    ]
