from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import bound_names, plus
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog
from reprolint.semantic.values import GeneratorList


def _seeded_creation(model, element: cst.BaseExpression) -> Optional[cst.Call]:
    """``element`` when it is ``torch.Generator(...).manual_seed(s)``, else None."""
    if (isinstance(element, cst.Call) and isinstance(element.func, cst.Attribute)
            and element.func.attr.value == "manual_seed" and len(element.args) == 1
            and element.args[0].keyword is None and not element.args[0].star
            and isinstance(element.func.value, cst.Call)
            and model.imports.resolve(element.func.value.func) in catalog.GENERATOR_CLASSES):
        return element
    return None


def _list_times_count(node) -> Optional[tuple]:
    """``([x], n)`` for ``[x] * n`` or ``n * [x]``."""
    if not isinstance(node, cst.BinaryOperation) or not isinstance(node.operator, cst.Multiply):
        return None
    for listed, count in ((node.left, node.right), (node.right, node.left)):
        if isinstance(listed, cst.List) and len(listed.elements) == 1 and not isinstance(
                listed.elements[0], cst.StarredElement):
            return listed, count
    return None


def receiving_pipeline_calls(model) -> list:
    """The pipeline calls passed a list that holds one generator several times: where the
    aliasing shows (the list itself is often bound to a name first)."""
    return [use.call.node for use in model.generator_uses
            if use.at_pipeline and isinstance(use.value, GeneratorList) and use.value.aliased]


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
    Safe in the sense that it restores per-image reproducibility (the first image keeps its
    noise); the fix rewrites `[torch.Generator(...).manual_seed(s)] * n` (or `n * [...]`) to
    `[torch.Generator(...).manual_seed(s + i) for i in range(n)]`, keeping the generator's
    device. `[g] * n` for a name `g` and `[g for _ in range(n)]` are not rewritten: the fix would
    have to invent a seed.

    ## Evidence
    - diffusers docs, `batched_inference.md`, the warning on lists of generators.
    """

    code = "RPL105"
    name = "generator-list-aliasing"
    summary = "a list holding one generator several times"
    fix_safety = Applicability.SAFE
    triggers = ("Generator", "generator")
    requires_imports = catalog.GENERATOR_PACKAGES  # findings need known generators
    verification = Verification(
        observe=Observe.NAMED_BY_RULE, compare=Compare.ALONE,
        drift="the last image of the batch, regenerated alone from its generator, differs: {difference}",
        no_drift="no drift observed (the last image of the batch regenerates alone)")

    def could_report(self, facts) -> bool:
        return bool(facts.words & catalog.GENERATOR_VALUE_NAMES)

    def check(self, model):
        for aliasing in model.aliased_lists:
            yield self.report(
                model, aliasing.node,
                f"this list holds one generator (`{aliasing.label}`) several times, so batch images "
                "share one stream; create one generator per image: "
                "[torch.Generator(...).manual_seed(seed + i) for i in range(n)]",
                fix=self._fix(model, aliasing.node), observed=receiving_pipeline_calls(model),
            )

    def _fix(self, model, node):
        parts = _list_times_count(node)
        if parts is None:
            return None
        listed, count = parts
        creation = _seeded_creation(model, listed.elements[0].value)
        if creation is None:
            return None
        used = bound_names(cst.Module([cst.SimpleStatementLine([cst.Expr(creation)])]))
        index = next(n for n in ("i", "index", "image_index", "generator_index") if n not in used)

        def rewrite(updated: cst.BinaryOperation) -> cst.ListComp:
            new_listed, new_count = _list_times_count(updated)
            element = new_listed.elements[0].value
            seed = element.args[0].value
            element = element.with_changes(args=[element.args[0].with_changes(value=plus(seed, cst.Name(index)))])
            # An argument needs no parentheses of its own (a tuple or a bare generator would).
            count_arg = cst.Arg(new_count if isinstance(new_count, (cst.Tuple, cst.GeneratorExp))
                                else new_count.with_changes(lpar=[], rpar=[]))
            loop = cst.CompFor(target=cst.Name(index), iter=cst.Call(cst.Name("range"), [count_arg]))
            return cst.ListComp(element, loop, lbracket=new_listed.lbracket, rbracket=new_listed.rbracket,
                                lpar=updated.lpar, rpar=updated.rpar)

        return Fix(Applicability.SAFE, "Create one generator per image (seed + i)", replacements={node: rewrite})

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
            fixed="""
            import torch

            generators = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
            """,
        ),
        Example(
            """
            import torch

            g = torch.Generator().manual_seed(0)
            generators = [g for _ in range(4)]
            """,
            expect=[(4, 14)],
        ),
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            generators = [torch.Generator("cpu").manual_seed(7)] * 4
            images = pipe("a lighthouse", num_images_per_prompt=4, generator=generators).images
            """,
            expect=[(5, 14)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            generators = [torch.Generator("cpu").manual_seed(7 + i) for i in range(4)]
            images = pipe("a lighthouse", num_images_per_prompt=4, generator=generators).images
            """,
        ),
    ]
