"""diffusers pipelines: the classes (``diffusers.*Pipeline``, ``AutoPipelineFor*``), their
constructors (``from_pretrained``, ``from_single_file``, ``from_pipe``), classes of the module
that derive from them, calling a pipeline (which draws from its ``generator=``), and the
methods that move or offload it."""

from __future__ import annotations

from typing import Optional

from reprolint.semantic import catalog
from reprolint.semantic.families.base import UNHANDLED, CallSite
from reprolint.semantic.families.placement import note_loading_placement, note_to_placement
from reprolint.semantic.families import project_calls
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import Device, LocalClass, Pipeline, device_kinds


def loaded_pipeline(flow, site: CallSite):
    """``StableDiffusionPipeline.from_pretrained(..., device_map="cuda")``."""
    owner = site.fact.qualname.rpartition(".")[0]
    result = Pipeline(owner, site.fact.node)
    note_loading_placement(flow, site.fact, result)
    return result


def constructed_pipeline(flow, site: CallSite):
    return Pipeline(site.fact.qualname, site.fact.node)


def claim(qualified: str):
    """Pipeline classes are matched by name, not listed: every ``diffusers.*Pipeline``."""
    if "." in qualified:
        owner, _, last = qualified.rpartition(".")
        if last in catalog.PIPELINE_CONSTRUCTORS and catalog.is_pipeline_class_name(owner):
            return loaded_pipeline
    if catalog.is_pipeline_class_name(qualified):
        return constructed_pipeline
    return None


def local_class_loaded(flow, site: CallSite):
    """``MyPipeline.from_pretrained(...)`` of a class of this module derived from a pipeline."""
    base = site.fact.receiver.pipeline_base
    return Pipeline(base, site.fact.node) if base else UNHANDLED


def local_class_constructed(flow, site: CallSite):
    """``MyPipeline(...)``; of a class that is no pipeline, the object keeping the generators its
    methods make (``project_calls.project_made_value``)."""
    base = site.callee.pipeline_base
    if base:
        return Pipeline(base, site.fact.node)
    made = project_calls.project_made_value(flow, site)
    if made is None:
        return UNHANDLED
    project_calls.on_unclaimed_call(flow, site)  # what it passes on (``generator=``), as for any other class
    return made


def pipeline_call(flow, site: CallSite):
    """``pipe(prompt, generator=g)``: draws from ``g`` (or from the global generator)."""
    pipeline = site.callee if isinstance(site.callee, Pipeline) else site.fact.receiver
    site.fact.pipeline = pipeline
    flow.consume_generator(site, pipeline_call=True)
    return None


def moved(flow, site: CallSite):
    """``pipe.to("cuda")`` and the like return the pipeline itself."""
    note_to_placement(flow, site.fact, site.fact.receiver, pipeline=True)
    return site.fact.receiver


def offloaded(flow, site: CallSite):
    fact = site.fact
    flow.add_placement(fact.node, dotted_name(fact.node.func.value), f"{fact.method}()", True)
    return None


def group_offloaded(flow, site: CallSite):
    fact = site.fact
    onload = fact.keyword("onload_device")
    if onload is not None and any(catalog.is_cuda_device_string(k) for k in device_kinds(onload.value)):
        flow.add_placement(fact.node, dotted_name(fact.node.func.value), "enable_group_offload()", True)
    return None


def pipeline_device(flow, node, base: Pipeline) -> Optional[Device]:
    return Device("<pipeline>.device")


METHODS = {
    **{(LocalClass, name): local_class_loaded for name in catalog.PIPELINE_CONSTRUCTORS},
    (Pipeline, "__call__"): pipeline_call,
    **{(Pipeline, name): moved for name in catalog.PIPELINE_SELF_RETURNING},
    **{(Pipeline, name): offloaded for name in catalog.OFFLOAD_METHODS},
    (Pipeline, "enable_group_offload"): group_offloaded,
}
CALLEES = {LocalClass: local_class_constructed, Pipeline: pipeline_call}
ATTRIBUTES = {(Pipeline, "device"): pipeline_device}
