"""Where models run: ``torch.device(...)``, accelerate's ``Accelerator`` (whose ``.device`` is
the GPU in a training script), ``.to("cuda")``/``.cuda()`` of anything, and loading with
``device_map=``/``device=``. Each placement on the GPU is a ``model.Placement``."""

from __future__ import annotations

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.model import CallFact
from reprolint.semantic.values import Accelerator, Device, Pipeline, device_kinds


def note_to_placement(flow, fact: CallFact, receiver, pipeline: bool) -> None:
    """``x.cuda()``, or ``x.to(device)`` where the device may be a GPU."""
    method = fact.method
    if method == "cuda":
        description = ".cuda()"
    else:
        arg = fact.positional(0) or fact.keyword("device")
        if arg is None:
            return
        kinds = device_kinds(arg.value)
        if not any(catalog.is_cuda_device_string(k) for k in kinds):
            return
        description = f".to({flow.module.code_for_node(arg.node.value)})"
    owner = dotted_name(fact.node.func.value) if isinstance(fact.node.func, cst.Attribute) else None
    flow.add_placement(fact.node, owner, description, pipeline or isinstance(receiver, Pipeline))


def note_loading_placement(flow, fact: CallFact, pipeline) -> None:
    """``from_pretrained(..., device_map="auto")`` or ``device="cuda"``."""
    for name in ("device_map", "device"):
        arg = fact.keyword(name)
        if arg is None:
            continue
        kinds = device_kinds(arg.value)
        if any(catalog.is_cuda_device_string(k) or k in catalog.GPU_DEVICE_MAPS for k in kinds):
            code = flow.module.code_for_node(arg.node.value)
            flow.add_placement(fact.node, None, f"{name}={code}", pipeline is not None)


def torch_device(flow, site: CallSite):
    """``torch.device("cuda")``: the device, when its kind is known; else the argument's value."""
    fact = site.fact
    arg = fact.positional(0) or fact.keyword("type")
    kinds = device_kinds(arg.value) if arg is not None else set()
    if len(kinds) == 1:
        return Device(next(iter(kinds)))
    return arg.value if arg is not None else None


def accelerator(flow, site: CallSite):
    return Accelerator()


def accelerator_device(flow, node, base: Accelerator):
    return Device("<accelerator>.device")


def on_unclaimed_call(flow, site: CallSite) -> None:
    """A model of any kind moved to the GPU, or loaded onto it."""
    fact = site.fact
    if fact.method in ("to", "cuda") and fact.node.func is not None:
        note_to_placement(flow, fact, fact.receiver, pipeline=False)
    q = fact.qualname
    if q is not None and q.endswith((".from_pretrained", ".from_single_file")):
        note_loading_placement(flow, fact, None)


NAMES = {
    **{name: torch_device for name in catalog.TORCH_DEVICE_CLASSES},
    **{name: accelerator for name in catalog.ACCELERATOR_CLASSES},
}
ATTRIBUTES = {(Accelerator, "device"): accelerator_device}
