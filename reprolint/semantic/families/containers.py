"""Python's own containers: ``dict(num_workers=4, shuffle=True)``, a dict whose keys are known,
like a ``{"num_workers": 4}`` literal, and ``kwargs.update(...)`` adding to one, so that
``DataLoader(ds, **loader_kwargs)`` (or a helper called with it) is judged by what it carries."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import DictValue


def dict_call(flow, site: CallSite):
    """Keyword arguments only: ``dict(mapping)`` or ``dict(**other)`` may carry any key."""
    fact = site.fact
    if fact.star_kwargs or fact.star_args or any(argument.keyword is None for argument in fact.arguments):
        return None
    return DictValue(tuple((argument.keyword, argument.value) for argument in fact.arguments))


NAMES = {name: dict_call for name in catalog.BUILTIN_DICT_CLASSES}


def dict_update(flow, site: CallSite):
    """``train_kwargs.update(accel_kwargs)`` (PyTorch's MNIST example) or ``.update(num_workers=4)``:
    the dict the name holds gains those keys; unknown where what is added is not known."""
    fact = site.fact
    key = dotted_name(fact.node.func.value)
    if key is None or not site.state.has(key):
        return None
    merged = fact.receiver
    added = [a.value for a in fact.arguments if a.keyword is None] + list(fact.star_kwargs)
    if fact.star_args or len(added) > 1 or not all(isinstance(value, DictValue) for value in added):
        merged = None
    else:
        for value in added:
            for item, item_value in value.items:
                merged = merged.with_item(item, item_value)
        for argument in fact.arguments:
            if argument.keyword is not None:
                merged = merged.with_item(argument.keyword, argument.value)
    site.state.bind(key, merged)
    return None


METHODS = {(DictValue, "update"): dict_update}
