"""The abstract state the flow engine carries through a scope, and where in the scope it is."""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Optional

import libcst as cst

from reprolint.semantic.model import GeneratorState
from reprolint.semantic.values import Value, join

# How a generator was seeded on the paths reaching a point.
FRESH = GeneratorState(frozenset({"manual"}))
UNSEEDED = GeneratorState(frozenset({"none"}))
RECEIVED = GeneratorState(frozenset({"unknown"}))

_NO_OUTER: Mapping = MappingProxyType({})  # shared, read-only


@dataclass
class FlowState:
    env: dict = field(default_factory=dict)  # key ("g", "self.pipe") -> Value | None
    gens: dict = field(default_factory=dict)  # GeneratorObject -> GeneratorState
    opaque: dict = field(default_factory=dict)  # key -> GeneratorObject received from elsewhere
    # The enclosing scope's names, read-only and shared, never copied: a module with thousands
    # of functions must not copy its namespace once per function.
    outer: Mapping = field(default_factory=lambda: _NO_OUTER)
    has_dotted_keys: bool = False
    # torch's global generator was seeded on every path reaching this point.
    seeded: bool = False

    def copy(self) -> "FlowState":
        return FlowState(dict(self.env), dict(self.gens), dict(self.opaque), self.outer, self.has_dotted_keys,
                         self.seeded)

    def has(self, key: str) -> bool:
        return key in self.env or key in self.outer

    def get(self, key: str) -> Optional[Value]:
        if key in self.env:
            return self.env[key]
        return self.outer.get(key)

    def scope_view(self) -> Mapping:
        """What a function defined here sees of this scope's names."""
        return ChainMap(self.env, self.outer) if self.outer else self.env

    def bind(self, key: str, value: Optional[Value]) -> None:
        # Rebinding ``pipe`` forgets ``pipe.scheduler``. Scanning only when dotted keys exist
        # keeps binding O(1) in modules with thousands of plain names.
        prefix = key + "."
        if self.has_dotted_keys:
            for stale in [k for k in self.env if k.startswith(prefix)]:
                del self.env[stale]
        if self.opaque:
            for stale in [k for k in self.opaque if k == key or k.startswith(prefix)]:
                del self.opaque[stale]
        if "." in key:
            self.has_dotted_keys = True
        self.env[key] = value


def join_states(*states: Optional[FlowState]) -> Optional[FlowState]:
    live = [s for s in states if s is not None]
    if not live:
        return None
    result = live[0].copy()
    for other in live[1:]:
        env = {}
        for key in result.env.keys() | other.env.keys():
            if key in result.env and key in other.env:
                env[key] = join(result.env[key], other.env[key])
            else:
                # Bound on one path only: elsewhere it is whatever it was before (unknown here).
                env[key] = result.env.get(key, other.env.get(key))
        gens = dict(result.gens)
        for obj, state in other.gens.items():
            gens[obj] = gens[obj].join(state) if obj in gens else state
        opaque = {}
        for key in result.opaque.keys() | other.opaque.keys():
            a, b = result.opaque.get(key), other.opaque.get(key)
            if a is None or b is None or a is b:
                opaque[key] = a or b
        result = FlowState(env, gens, opaque, result.outer,
                           result.has_dotted_keys or other.has_dotted_keys, result.seeded and other.seeded)
    return result


@dataclass
class Frame:
    """Where the analysis is: which scope, which parameters, how deep in loops."""

    scope: str
    params: frozenset = frozenset()
    function: Optional[cst.FunctionDef] = None
    loop_depth: int = 0
    breaks: list = field(default_factory=list)
    continues: list = field(default_factory=list)
