"""The process environment: ``os.environ.setdefault``, ``os.putenv`` and ``os.environ.update``
(``os.environ[...] = ...`` is an assignment, which the engine notes itself). Each write is a
``model.EnvWrite``, in order with the calls around it."""

from __future__ import annotations

from reprolint.semantic import catalog
from reprolint.semantic.families.base import CallSite
from reprolint.semantic.values import Const, DictValue


def single_write(flow, site: CallSite):
    """``os.environ.setdefault(NAME, VALUE)`` and ``os.putenv(NAME, VALUE)``."""
    fact = site.fact
    name, value = fact.positional(0), fact.positional(1)
    if name is not None and isinstance(name.value, Const) and isinstance(name.value.value, str):
        how = "os.putenv" if fact.qualname in catalog.ENV_PUTENV else "os.environ.setdefault"
        flow.note_env_write(name.value.value, value.value if value else None, fact.node, site.frame, how)
    return None


def update(flow, site: CallSite):
    """``os.environ.update({...}, NAME=VALUE)``."""
    fact = site.fact
    items = [(a.keyword, a.value) for a in fact.arguments if a.keyword is not None]
    first = fact.positional(0)
    if first is not None and isinstance(first.value, DictValue):
        items += list(first.value.items)
    for name, value in items:
        flow.note_env_write(name, value, fact.node, site.frame, "os.environ.update")
    return None


NAMES = {
    **{name: single_write for name in catalog.ENV_SETDEFAULT | catalog.ENV_PUTENV},
    **{name: update for name in catalog.ENV_UPDATE},
}
