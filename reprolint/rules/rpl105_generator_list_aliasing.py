from __future__ import annotations

from reprolint.findings import Applicability
from reprolint.rules.base import Example, Rule
from reprolint.semantic import catalog


class GeneratorListAliasing(Rule):
    """
    ## What it does
    Flags `[g] * n` and `[g for _ in range(n)]` where `g` is a generator, and
    `[torch.Generator(...).manual_seed(s)] * n`.

    ## Why is this bad?
    Multiplying a list copies the *reference*: the list holds `n` references to one generator.
    The pipeline draws the noise of image 1, then image 2 from where image 1 stopped, and so on,
    so no image of the batch can be regenerated on its own, and changing the batch size changes
    every image after the first. The diffusers guide on batched inference warns about exactly
    this.

    ## Example
    ```python
    generator = [torch.Generator("cpu").manual_seed(0)] * 4
    images = pipe(prompt, generator=generator, num_images_per_prompt=4).images
    ```

    ## Use instead
    ```python
    generator = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
    ```

    ## Fix safety
    Safe in the sense that it restores per-image reproducibility; the fix writes
    `[torch.Generator(...).manual_seed(s + i) for i in range(n)]`.

    ## Evidence
    - diffusers docs, `batched_inference.md`, the warning on lists of generators.
    """

    code = "RPL105"
    name = "generator-list-aliasing"
    summary = "a list holding one generator several times"
    fix_safety = Applicability.SAFE
    triggers = ("Generator", "generator")
    requires_imports = catalog.GENERATOR_PACKAGES  # findings need known generators

    @classmethod
    def could_report(cls, facts) -> bool:
        return bool(facts.words & catalog.GENERATOR_VALUE_NAMES)

    def check(self, model):
        for aliasing in model.aliased_lists:
            yield self.report(
                model, aliasing.node,
                f"this list holds one generator (`{aliasing.label}`) several times, so batch images "
                "share one stream; create one generator per image: "
                "[torch.Generator(...).manual_seed(seed + i) for i in range(n)]",
            )

    VALID = [
        Example(
            """
            import torch

            generators = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
            """
        ),
        Example(
            """
            masks = [None] * 4
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            generators = [torch.Generator("cpu").manual_seed(0)] * 4
            """,
            expect=[(3, 14)],
        ),
        Example(
            """
            import torch

            g = torch.Generator().manual_seed(0)
            generators = [g for _ in range(4)]
            """,
            expect=[(4, 14)],
        ),
    ]
