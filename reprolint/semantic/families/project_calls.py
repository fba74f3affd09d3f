"""Functions and classes of the linted project: a helper of this or another module that returns
a pipeline (``load_pipeline()``), a class derived from one (``MyPipeline.from_pretrained``), a
function that passes one of its parameters on to a pipeline as ``generator=``, and what the
module passes to its own functions (the engine binds their parameters from it). The facts of
other modules come from the project index (``reprolint.semantic.project``)."""

from __future__ import annotations

from typing import Optional

from reprolint.semantic import catalog
from reprolint.semantic.families.base import UNHANDLED, CallSite
from reprolint.semantic.families.placement import note_loading_placement
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.model import CallFact
from reprolint.semantic.values import LocalFunction, Pipeline, QualifiedRef


def project_pipeline(flow, fact: CallFact, callee) -> Optional[Pipeline]:
    """A pipeline made through the project: ``MyPipeline(...)`` or
    ``MyPipeline.from_pretrained(...)`` of a class derived from a diffusers pipeline, or
    ``load_pipeline()`` of a function that returns one (in this module or another)."""
    if fact.qualname is None and not isinstance(callee, LocalFunction):
        return None
    name = flow.project_name(fact, callee)
    if not name:
        return None
    owner, _, last = name.rpartition(".")
    if last in catalog.PIPELINE_CONSTRUCTORS and owner:
        base = flow.project.pipeline_base(owner)
        if base:
            return Pipeline(base, fact.node)
    base = None if catalog.is_pipeline_class_name(name) else flow.project.pipeline_base(name)
    if base:
        return Pipeline(base, fact.node)
    returned = flow.project.returned_pipeline(name)
    return Pipeline(returned, fact.node) if returned else None


def made_by_project(flow, site: CallSite):
    """A call of a name no family owns, or of a function of this module: a pipeline when the
    project says it makes one (and a placement when the helper puts it on the GPU)."""
    fact, callee = site.fact, site.callee
    pipeline = project_pipeline(flow, fact, callee)
    if pipeline is None:
        return UNHANDLED
    note_loading_placement(flow, fact, pipeline)
    if flow.project.places_on_gpu(flow.project_name(fact, callee)):
        written = dotted_name(fact.node.func) or "the helper"
        flow.add_placement(fact.node, None, f"{written}(), which places the pipeline on the GPU", True)
    return pipeline


def on_unclaimed_call(flow, site: CallSite) -> None:
    """Where a call no family answered may draw from a generator it is given: a function of
    another project module that passes a parameter on as ``generator=``, a function of this
    module (whose call sites also bind its parameters), or any call given ``generator=``."""
    fact, callee = site.fact, site.callee
    q = fact.qualname
    if q is not None and flow.project.generator_params(flow.project.absolute(q, flow.path))[1]:
        flow.consume_generator(site, pipeline_call=False)
        return
    if isinstance(callee, LocalFunction):
        func = flow.functions.get(callee.name)
        if func is not None:
            flow.note_callsite(func, fact, site.state)
        flow.consume_generator(site, pipeline_call=False, callee=callee)
        return
    if fact.keyword("generator") is not None or fact.star_kwargs:
        flow.consume_generator(site, pipeline_call=False, callee=callee)
    elif fact.method is not None and fact.arguments and flow.receiver_class(fact, site.frame) != (None, None):
        # ``self.sample_images(pipe, g)``: a method of a project class (its own, inherited, or
        # an override in a subclass) that may hand one of its parameters to a pipeline.
        flow.consume_generator(site, pipeline_call=False, callee=callee)


CALLEES = {QualifiedRef: made_by_project, LocalFunction: made_by_project}
