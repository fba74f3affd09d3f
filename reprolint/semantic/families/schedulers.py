"""diffusers schedulers: ``DDIMScheduler(...)``, ``.from_config(...)``, ``.from_pretrained(...)``,
with the settings they were made with (a stochastic sampler's ``eta``, an SDE scheduler's
``noise_sampler_seed``); the tables of how each class draws noise are in ``catalog``."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.values import DictValue, Scheduler


def made_scheduler(flow, site: CallSite):
    fact = site.fact
    owner, _, last = fact.qualname.rpartition(".")
    if last in catalog.SCHEDULER_CONSTRUCTORS and catalog.is_scheduler_class_name(owner):
        class_name, made_by = owner, last
    else:
        class_name, made_by = fact.qualname, "init"
    kwargs = tuple((a.keyword, a.value) for a in fact.arguments if a.keyword is not None)
    open_kwargs = False
    for star in fact.star_kwargs:
        if isinstance(star, DictValue):
            kwargs += tuple(star.items)
        else:
            open_kwargs = True
    scheduler = Scheduler(class_name, fact.node, kwargs, made_by, open_kwargs)
    if flow.first_time("scheduler", fact.node):
        flow.model.scheduler_creations.append((fact, scheduler))
    return scheduler


def claim(qualified: str):
    """Scheduler classes are matched by name (``diffusers.*Scheduler``). A name the pipelines'
    pattern also matches (``AutoPipelineFor...Scheduler``) is the pipelines'."""
    owner, _, last = qualified.rpartition(".")
    if last in catalog.SCHEDULER_CONSTRUCTORS and catalog.is_scheduler_class_name(owner):
        if last in catalog.PIPELINE_CONSTRUCTORS and catalog.is_pipeline_class_name(owner):
            return None
        return made_scheduler
    if catalog.is_scheduler_class_name(qualified) and not catalog.is_pipeline_class_name(qualified):
        return made_scheduler
    return None
