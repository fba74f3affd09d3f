from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification
from reprolint.semantic import catalog


class UnseededGenerator(Rule):
    """
    ## What it does
    Flags a `torch.Generator(...)` that reaches a sampling call (a pipeline, `torch.randn`,
    `scheduler.step`, or any call taking `generator=`) without `.manual_seed()` on every path,
    or that was seeded with `.seed()`.

    ## Why is this bad?
    A new generator starts from a fixed default seed on CPU, but from a *non-deterministic* one
    after `.seed()`, and reproducibility then rests on an accident of construction: a
    `torch.Generator("cuda")` is seeded differently from a CPU one, and code that later gains a
    `.seed()` call silently stops reproducing. Seeding explicitly states the intent and survives
    refactoring.

    ## Example
    ```python
    generator = torch.Generator("cpu")
    image = pipe(prompt, generator=generator).images[0]
    ```

    ## Use instead
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    ```

    ## Fix safety
    No automatic fix: which seed to use is the author's decision.

    ## Evidence
    - PyTorch docs, `torch.Generator.seed`: "Gets a non-deterministic random number from
      std::random_device or the current time".
    """

    code = "RPL107"
    name = "unseeded-generator"
    summary = "generator used without manual_seed"
    triggers = ("Generator",)
    requires_imports = catalog.GENERATOR_PACKAGES  # findings need a generator created here
    verification = Verification(
        observe=Observe.RECEIVING_CALL,
        no_drift="no drift observed ({runs} runs identical): an unseeded torch.Generator starts from torch's "
                 "fixed default seed")

    def could_report(self, facts) -> bool:
        return bool(facts.words & catalog.GENERATOR_VALUE_NAMES)

    def check(self, model):
        reported = set()
        for use in model.generator_uses:
            for obj in use.objects:
                if obj.opaque or obj.is_global or id(obj) in reported:
                    continue
                seeds = use.states[obj].seeds
                if seeds == {"none"}:
                    problem = "is never seeded"
                elif "nondet" in seeds and "manual" not in seeds:
                    problem = "is seeded with `.seed()`, a non-deterministic seed"
                else:
                    continue
                reported.add(id(obj))
                yield self.report(
                    model, use.expr,
                    f"generator `{use.label}` (created at line {model.line(obj.created_at)}) {problem} "
                    "before this call; call `.manual_seed(<seed>)` on it first",
                )

    VALID = [
        Example(
            """
            import torch

            g = torch.Generator()
            g.manual_seed(1234)
            x = torch.randn((2, 2), generator=g)
            """
        ),
        Example(
            """
            def sample(pipe, generator):
                return pipe("a cat", generator=generator).images[0]
            """,
            note="a received generator is the caller's business",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            g = torch.Generator()
            x = torch.randn((2, 2), generator=g)
            """,
            expect=[(4, 35)],
        ),
        Example(
            """
            import torch

            g = torch.Generator()
            g.seed()
            x = torch.randn((2, 2), generator=g)
            """,
            expect=[(5, 35)],
        ),
    ]
