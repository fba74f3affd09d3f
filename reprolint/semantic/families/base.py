"""What a family handler receives and may answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reprolint.semantic.flow.state import FlowState, Frame
from reprolint.semantic.model import CallFact


class _Unhandled:
    def __repr__(self) -> str:
        return "UNHANDLED"


# A handler's answer for "not mine after all" (a local class that derives from no pipeline):
# the engine goes on to the next table, and finally to the families' ``on_unclaimed_call``.
UNHANDLED: Any = _Unhandled()

# In an ``ATTRIBUTES`` key: an attribute of any receiver, known or not (``x.latent_dist``).
ANY_VALUE = "any value"
# In an ``ATTRIBUTES`` key: any attribute of a value of that type (what a project object keeps).
ANY_ATTRIBUTE = "any attribute"


@dataclass
class CallSite:
    """One call as the flow engine hands it to a family: the call's facts (``fact.qualname``,
    ``fact.receiver``, ``fact.arguments``), the callee's value, and the flow state and frame at
    the call, which a handler may update (a generator it seeds, a placement it notes)."""

    __slots__ = ("fact", "callee", "state", "frame")

    fact: CallFact
    callee: Any
    state: FlowState
    frame: Frame
