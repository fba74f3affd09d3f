"""Python's own containers: ``dict(num_workers=4, shuffle=True)``, a dict whose keys are known,
like a ``{"num_workers": 4}`` literal, so that ``DataLoader(ds, **loader_kwargs)`` (or a helper
called with it) is judged by what it carries."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.values import DictValue


def dict_call(flow, site: CallSite):
    """Keyword arguments only: ``dict(mapping)`` or ``dict(**other)`` may carry any key."""
    fact = site.fact
    if fact.star_kwargs or fact.star_args or any(argument.keyword is None for argument in fact.arguments):
        return None
    return DictValue(tuple((argument.keyword, argument.value) for argument in fact.arguments))


NAMES = {name: dict_call for name in catalog.BUILTIN_DICT_CLASSES}
