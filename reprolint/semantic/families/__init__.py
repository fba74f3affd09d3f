"""What the flow engine knows of each API family, one module per family, found by scanning
this package (as the rules are): adding knowledge of a library is adding a module here, plus
its names in ``reprolint.semantic.catalog``.

A family module declares, each optional:

- ``NAMES``: {qualified name: handler} for the calls it answers (``torch.Generator``);
- ``claim(qualified)``: a handler for names it recognises by pattern, not by list (any
  ``diffusers.*Pipeline``), or None;
- ``METHODS``: {(value type, method): handler} for methods of a value it knows
  (``(Generator, "manual_seed")``);
- ``CALLEES``: {value type: handler} for calling a value (``pipe(...)`` where ``pipe`` is a
  ``Pipeline``);
- ``REFERENCES``: {qualified name: handler(flow)}: the value an imported name holds
  (``torch.default_generator``);
- ``ATTRIBUTES``: {(value type or ``ANY_VALUE``, attribute or ``ANY_ATTRIBUTE``): handler(flow,
  node, base)};
- ``on_unclaimed_call(flow, site)``: watches every call that no table gave a value.

A call handler is ``handler(flow, site) -> value``: ``flow`` is the engine
(``reprolint.semantic.analyzer.Analyzer``), ``site`` a ``base.CallSite``; it returns the call's
abstract value (``None``: unknown) or ``UNHANDLED`` to let the next table answer. The engine
looks the call up by qualified name, then by (receiver type, method), then by callee type
(``reprolint.semantic.flow.calls``); two families claiming the same key is an error.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable, Optional

from reprolint.semantic.families.base import ANY_ATTRIBUTE, ANY_VALUE, UNHANDLED, CallSite

# Modules of this package that are not families.
_NOT_FAMILIES = frozenset({"base"})


def family_modules() -> tuple:
    """Every family module, in name order."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if info.name not in _NOT_FAMILIES and not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    return tuple(modules)


def _merged(modules: tuple, attribute: str) -> dict:
    table: dict = {}
    for module in modules:
        for key, handler in getattr(module, attribute, {}).items():
            if key in table:
                raise TypeError(f"{module.__name__} and {table[key].__module__} both claim {key!r} in {attribute}")
            table[key] = handler
    return table


FAMILIES = family_modules()
BY_NAME = _merged(FAMILIES, "NAMES")
BY_METHOD = _merged(FAMILIES, "METHODS")
BY_CALLEE = _merged(FAMILIES, "CALLEES")
BY_REFERENCE = _merged(FAMILIES, "REFERENCES")
BY_ATTRIBUTE = _merged(FAMILIES, "ATTRIBUTES")
CLAIMS = tuple(module.claim for module in FAMILIES if hasattr(module, "claim"))
UNCLAIMED_WATCHERS = tuple(module.on_unclaimed_call for module in FAMILIES if hasattr(module, "on_unclaimed_call"))

# Qualified names seen so far -> their handler (None: no family's), so that a name matched by
# pattern is matched once per process.
_resolved: dict = dict(BY_NAME)
_attribute_chains: dict = {}


def name_handler(qualified: str) -> Optional[Callable]:
    """The handler of the family that owns a qualified name: listed, or claimed by pattern."""
    try:
        return _resolved[qualified]
    except KeyError:
        pass
    handler = None
    for claim in CLAIMS:
        handler = claim(qualified)
        if handler is not None:
            break
    _resolved[qualified] = handler
    return handler


def method_handler(receiver, method: str) -> Optional[Callable]:
    return BY_METHOD.get((type(receiver), method))


def callee_handler(callee) -> Optional[Callable]:
    return BY_CALLEE.get(type(callee))


def reference_handler(qualified: str) -> Optional[Callable]:
    return BY_REFERENCE.get(qualified)


def attribute_handler(base, attribute: str) -> tuple:
    """The handlers for reading ``attribute`` of a value: its type's, then any value's, then
    its type's for any attribute."""
    key = (type(base), attribute)
    chain = _attribute_chains.get(key)
    if chain is None:
        chain = tuple(handler for handler in (BY_ATTRIBUTE.get(key), BY_ATTRIBUTE.get((ANY_VALUE, attribute)),
                                              BY_ATTRIBUTE.get((type(base), ANY_ATTRIBUTE)))
                      if handler is not None)
        _attribute_chains[key] = chain
    return chain


__all__ = ["ANY_ATTRIBUTE", "ANY_VALUE", "UNHANDLED", "CallSite", "FAMILIES", "attribute_handler", "callee_handler",
           "method_handler", "name_handler", "reference_handler"]
