from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import parents_of
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import seed_sentinels
from reprolint.semantic.imports import dotted_name

# Places where an expression needs no parentheses, whatever its precedence.
_WHOLE_EXPRESSION_PARENTS = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Arg, cst.Expr,
                             cst.Element, cst.DictElement, cst.Index)


def _is_none(expr: cst.BaseExpression, negated: bool) -> cst.Comparison:
    operator = cst.Is() if negated else cst.IsNot()
    bare = expr.with_changes(lpar=[], rpar=[])
    return cst.Comparison(bare, [cst.ComparisonTarget(operator, cst.Name("None"))], lpar=expr.lpar, rpar=expr.rpar)


class SeedTruthiness(Rule):
    """
    ## What it does
    Flags a seed tested for truth: `... if seed else ...`, `if args.seed:`, `if not self.seed:`,
    `seed or default`, where the tested name or attribute contains `seed` (`seed`,
    `args.seed`, `cfg.train.seed`, `random_seed`, `seed_value`) **and the module shows that it
    holds a seed**: the name reaches a seeding sink (`torch.manual_seed(seed)`,
    `generator.manual_seed(seed + i)`, `set_seed(args.seed)`, `random.seed`, `np.random.seed`,
    `seed_everything`, `np.random.default_rng(seed)`, a `seed=` keyword, a seeding helper), or it
    is int-typed (annotated `int` / `Optional[int]`, an int default or assignment,
    `add_argument("--seed", type=int)`, `seed or 1234`). A bool is never a seed: a name annotated
    `bool`, defaulting to `True`/`False`, assigned a bool or declared `action="store_true"` (a
    gradio app's `randomize_seed` checkbox) is not flagged, and neither is a seed-named name with
    no evidence either way. Names of flags, collections, functions and other numbers (`use_seed`,
    `seeds`, `seed_indices`, `seed_worker`, `seed_offset`) are not flagged.

    Also flags a seed compared with zero so that 0 means "random": `seed if seed > 0 else
    random.randint(0, 2**32 - 1)`, `if seed <= 0: seed = random.randint(...)` (also `== 0`,
    `< 1`), where the branch that seed 0 takes replaces the seed with a value computed by a
    call. `-1` as the "random" sentinel (`seed >= 0`, `seed == -1`, `seed < 0`) treats 0 like any
    other seed and is never flagged.

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
    No fix for a comparison with zero: making 0 a seed changes what `--seed 0` does for its
    users, the author's call.

    Safe for a truth test: it becomes `is not None` (`is None` for `not seed`; `seed if seed is not None
    else default` for `seed or default`, parenthesised unless it stands alone); only seed 0
    behaves differently, as intended. A seed expression that is not a plain name or attribute
    (a call, which the rewrite would evaluate twice) is not rewritten in the `or` form.

    ## Evidence
    - huggingface/diffusers#10964 (the fix across 15 example scripts).
    """

    code = "RPL201"
    name = "seed-truthiness"
    summary = "seed tested for truth (seed 0 counts as no seed)"
    fix_safety = Applicability.SAFE
    triggers = ("seed", "SEED", "Seed")
    # Seed 0 given twice: the test takes it for "no seed" and the two runs differ.
    verification = Verification(
        observe=Observe.PIPELINE_CALLS, compare=Compare.SEED_ZERO, training=True,
        drift="with seed 0, 2 runs differ: {difference}",
        no_drift="no drift observed ({runs} runs with seed 0 identical)")

    def could_report(self, facts) -> bool:
        # Every finding tests a name or attribute whose last part names a seed.
        return any("seed" in word.lower() for word in facts.words)

    def check(self, model):
        for test in model.seed_truth_tests:
            if test.kind == "or":
                message = f"`{test.label} or ...` replaces seed 0 with the default; use `is not None`"
            else:
                message = f"`{test.label}` tested for truth: seed 0 counts as no seed; test `is not None`"
            yield self.report(model, test.node, message, fix=self._fix(model, test))
        for comparison in seed_sentinels.zero_means_random(model):
            yield self.report(
                model, comparison.node,
                f"`{comparison.test}` makes seed 0 mean \"random\", yet 0 is a valid seed; use -1 (or None) as "
                f"the sentinel: `{comparison.label} >= 0` / `{comparison.label} is not None`",
            )

    @staticmethod
    def _fix(model, test):
        if test.kind == "test":
            replacement = lambda updated: _is_none(updated, negated=False)  # noqa: E731
        elif test.kind == "not" and isinstance(test.node, cst.UnaryOperation):
            replacement = lambda updated: _is_none(updated.expression, negated=True).with_changes(  # noqa: E731
                lpar=updated.lpar, rpar=updated.rpar)
        elif test.kind == "or" and isinstance(test.node, cst.BooleanOperation) and dotted_name(test.expr):
            standalone = isinstance(parents_of(model).get(test.node), _WHOLE_EXPRESSION_PARENTS)

            def replacement(updated):
                seed = updated.left.with_changes(lpar=[], rpar=[])
                rewritten = cst.IfExp(test=_is_none(seed, negated=False), body=seed, orelse=updated.right,
                                      lpar=updated.lpar, rpar=updated.rpar)
                if not updated.lpar and not standalone:
                    rewritten = rewritten.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                return rewritten
        else:
            return None
        return Fix(Applicability.SAFE, "Test the seed with `is not None`", replacements={test.node: replacement})

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
        Example(
            """
            import random

            import gradio as gr

            def randomize_seed_fn(seed: int, randomize_seed: bool) -> int:
                if randomize_seed:
                    seed = random.randint(0, 2**31 - 1)
                return seed
            """,
            note="a checkbox value is a bool, not a seed: `if randomize_seed:` is correct",
        ),
        Example(
            """
            import random

            def resolve_seed(seed: int = -1) -> int:
                if seed < 0:
                    seed = random.randint(0, 2**32 - 1)
                return seed if seed >= 0 else 0
            """,
            note="-1 as the random sentinel: seed 0 is a seed like any other",
        ),
    ]
    INVALID = [
        Example(
            """
            import random

            def resolve_seed(seed: int = 0) -> int:
                seed = seed if seed > 0 else random.randint(0, 2**32 - 1)
                if seed <= 0:
                    seed = random.randint(1, 2**31)
                return seed
            """,
            expect=[(4, 20), (5, 8)],
            note="seed 0 means random",
        ),
        Example(
            """
            import torch

            generator = torch.Generator().manual_seed(args.seed) if args.seed else None
            """,
            expect=[(3, 57)],
            fixed="""
            import torch

            generator = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
            """,
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
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
            generator = torch.Generator().manual_seed(args.seed) if args.seed else None
            image = pipe("a cat", generator=generator).images[0]
            """,
            expect=[(5, 57)],
            fixed="""
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
            generator = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
            image = pipe("a cat", generator=generator).images[0]
            """,
        ),
    ]
