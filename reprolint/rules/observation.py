"""The calls whose outputs show a finding's effect, found in the model the rule reported from.

``Rule.report`` stores them on the finding (``Finding.verify_targets``), so that ``--verify``
instruments exactly those calls without analysing the file a second time.
"""

from __future__ import annotations

from typing import Optional

from reprolint.rules.verification import Observe
from reprolint.semantic.model import SemanticModel

Span = tuple  # (start line, start column, end line, end column): libcst's numbering


def _span(model: SemanticModel, node) -> Span:
    r = model.position(node)
    return (r.start.line, r.start.column, r.end.line, r.end.column)


def _contains(outer: Span, inner: Span) -> bool:
    return (outer[0], outer[1]) <= (inner[0], inner[1]) and (inner[2], inner[3]) <= (outer[2], outer[3])


def _receiving_call(model: SemanticModel, here: Span) -> Optional[Span]:
    """The innermost call one of whose arguments holds the span ``here``."""
    best = None
    for call in model.calls:
        span = _span(model, call.node)
        if not _contains(span, here):
            continue
        # The whole argument: a finding may cover `seed=1234`, keyword included, or sit on the
        # `**kwargs` that carry a generator.
        if any(_contains(_span(model, argument), here) for argument in call.node.args):
            if best is None or _contains(best, span):
                best = span
    return best


def observed_spans(model: SemanticModel, node, observe: Optional[Observe]) -> list:
    """The spans of the calls to record for a finding reported on ``node``, in source order."""
    if observe is None:
        return []
    if observe is Observe.PIPELINE_CALLS:
        return [_span(model, call.node) for call in model.pipeline_calls]
    here = _span(model, node)
    found = None
    if observe is Observe.FLAGGED_CALL:
        found = next((span for span in (_span(model, call.node) for call in model.calls) if span == here), None)
    if found is None:
        found = _receiving_call(model, here)
    return [found] if found is not None else []
