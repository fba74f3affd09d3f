"""Random tensors: ``torch.randn`` and the other torch draws, diffusers' ``randn_tensor``; the
tensor they return remembers whether it was drawn with a generator, through the methods that
return the same values (``.to``, ``.half``, ``.view``, ...)."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.values import Const, Tensor


def drawn(flow, site: CallSite):
    """A draw: consumes its ``generator=``; the tensor is seeded when one was passed."""
    flow.consume_generator(site, pipeline_call=False)
    generator = site.fact.keyword("generator")
    seeded = generator is not None and not (isinstance(generator.value, Const) and generator.value.value is None)
    return Tensor(site.fact.node, seeded)


def same_values(flow, site: CallSite):
    return site.fact.receiver


NAMES = {name: drawn for name in catalog.TORCH_RANDOM_FUNCTIONS}
METHODS = {(Tensor, name): same_values for name in catalog.TENSOR_SAME_VALUES_METHODS}
