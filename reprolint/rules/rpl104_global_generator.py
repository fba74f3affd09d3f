from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import cpu_generator, imports_of
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.values import Generator


class GlobalGenerator(Rule):
    """
    ## What it does
    Flags `generator=torch.manual_seed(s)` or `generator=torch.default_generator` (directly or
    through a name bound to one) on a pipeline call, or on any call whose callee is unknown and
    may be a pipeline: a parameter `pipe`, `self.pipe`, a helper's return value
    (`load_pipeline()(...)`), a function imported from the project. Also the global generator
    passed, by keyword or positionally, to a function or method of the project that hands that
    parameter to a pipeline as `generator=`: `self.log_validation(pipe, g)` or
    `trainer.sample_images(pipe, g)`, where the method is the class's own, inherited from a base
    in another module, or an override in one of the project's subclasses (a base class's call of
    a method only its subclasses implement). Reported at each such call's generator argument.
    Low-level draws (`torch.randn`, `randn_tensor`,
    `scheduler.step`, `latent_dist.sample`), other torch APIs (`DataLoader`) and functions of
    the module that only draw with it are not flagged: seeding right before one such draw is
    the same as seeding the global generator.

    ## Why is this bad?
    `torch.manual_seed(s)` seeds and returns the process-global CPU generator. The pipeline then
    shares its random stream with every other torch draw in the process: dropout, weight
    initialisation, another pipeline, a library that samples on import. Any of them shifts the
    noise, so the image changes with code that has nothing to do with it.

    ## Example
    ```python
    image = pipe(prompt, generator=torch.manual_seed(0)).images[0]
    ```

    ## Use instead
    ```python
    image = pipe(prompt, generator=torch.Generator("cpu").manual_seed(0)).images[0]
    ```

    ## Fix safety
    Safe where nothing after the call may draw from torch's global generator: a fresh CPU
    generator seeded with the same seed produces the same stream the global generator would have
    produced right after `manual_seed`. The fix rewrites `generator=torch.manual_seed(s)` to
    `generator=torch.Generator("cpu").manual_seed(s)` (with the module's own spelling of `torch`).

    `torch.manual_seed(s)` also seeds the global generator as a side effect. Where a later draw
    may rely on that (a `torch.randn` without a generator, a layer or model built, dropout, a
    function of the project whose body reprolint does not follow, anything in a loop around the
    call), the fix is unsafe: it keeps `torch.manual_seed(s)` as a statement before the call, so
    the later draws stay seeded, but they no longer follow the pipeline's draws and their values
    change. A name bound to `torch.manual_seed(s)` and `torch.default_generator` are not
    rewritten: the global seeding there may matter to other code, and the default generator's
    state is not known.

    ## Evidence
    - PyTorch docs: `torch.manual_seed` returns `torch.Generator` (the default generator).
    - diffusers docs, `reusing_seeds.md`.
    """

    code = "RPL104"
    name = "global-generator"
    summary = "the process-global generator passed to a pipeline"
    fix_safety = Applicability.SAFE
    triggers = ("manual_seed", "default_generator")
    requires_imports = catalog.GENERATOR_PACKAGES  # findings need torch's global generator
    verification = Verification(
        observe=Observe.RECEIVING_CALL, compare=Compare.PERTURBED,
        drift="one other draw from the global generator changes the output: {difference}",
        no_drift="no drift observed (an extra draw from the global generator changed nothing)")

    @classmethod
    def could_report(cls, facts) -> bool:
        # Code must name it (a docstring's `generator=torch.manual_seed(0)` example does not).
        return not facts.words.isdisjoint(("manual_seed", "default_generator"))

    def check(self, model):
        for use in model.generator_uses:
            if not use.may_reach_pipeline:
                continue
            if any(obj.is_global for obj in use.objects):
                origin = use.value.origin if isinstance(use.value, Generator) else None
                made = f", made on {model.made_at(origin)}," if origin is not None and origin is not use.expr else ""
                yield self.report(
                    model, use.expr,
                    f"`{use.label}`{made} is torch's process-global generator: any other random draw "
                    'shifts it; pass generator=torch.Generator("cpu").manual_seed(<seed>)',
                    fix=self._fix(model, use.expr),
                )

    def _fix(self, model, expr):
        if not isinstance(expr, cst.Call) or model.imports.resolve(expr.func) not in \
                catalog.GLOBAL_SEED_RETURNING_GENERATOR or len(expr.args) != 1 or expr.args[0].star:
            return None
        generator, imports = cpu_generator(imports_of(model), None)

        def rewrite(updated: cst.Call) -> cst.Call:
            # Only the callee changes, so the seed argument keeps its layout and comments.
            return updated.with_changes(func=cst.Attribute(generator, cst.Name("manual_seed")))

        if not model.global_rng_may_be_drawn_after(expr):
            return Fix(Applicability.SAFE, "Use a fresh `torch.Generator(\"cpu\")` with the same seed",
                       replacements={expr: rewrite}, imports=imports)
        # `torch.manual_seed(s)` also seeds the global generator, and a later draw may rely on it:
        # keep that seeding as a statement of its own. Later draws then no longer follow the
        # pipeline's, so their values change: unsafe.
        seed = expr.args[0].value
        if not isinstance(seed, (cst.Name, cst.Integer, cst.Attribute)):
            return None  # evaluated twice, a seed with side effects would change
        seeding = cst.Module([]).code_for_node(expr.with_changes(args=[expr.args[0].with_changes(comma=None)]))
        return Fix(Applicability.UNSAFE,
                   f"Use a fresh `torch.Generator(\"cpu\")` with the same seed; keep `{seeding}` for the "
                   "draws after it (their values change)",
                   replacements={expr: rewrite}, imports=imports, statements_before=((expr, seeding),))

    VALID = [
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            torch.manual_seed(0)
            pipe = DiffusionPipeline.from_pretrained("some/model")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("some/model")
            image = pipe("a cat", generator=torch.manual_seed(0)).images[0]
            """,
            expect=[(5, 33)],
            fixed="""
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("some/model")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """,
        ),
        Example(
            # The global seeding is what makes `noise` repeatable: the fix keeps it (unsafe).
            """
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("some/model")
            image = pipe("a cat", generator=torch.manual_seed(0)).images[0]
            noise = torch.randn(4)
            """,
            expect=[(5, 33)],
            fixed="""
            import torch
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained("some/model")
            torch.manual_seed(0)
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            noise = torch.randn(4)
            """,
        ),
    ]
