"""The calls whose outputs show a finding's effect, found in the model the rule reported from.

``Rule.report`` stores them on the finding (``Finding.verify_targets``), so that ``--verify``
instruments exactly those calls without analysing the file a second time.
"""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from reprolint.rules.edits import ancestors, parents_of
from reprolint.rules.verification import Observe
from reprolint.semantic.model import SemanticModel

Span = tuple  # (start line, start column, end line, end column): libcst's numbering


def _span(model: SemanticModel, node) -> Span:
    r = model.position(node)
    return (r.start.line, r.start.column, r.end.line, r.end.column)


def _receiving_call(model: SemanticModel, node):
    """The innermost call one of whose arguments is ``node`` or holds it: the whole argument, as a
    finding may cover `seed=1234`, keyword included, or sit on the `**kwargs` that carry a
    generator. Walking up the tree costs a finding its depth, not the module's number of calls."""
    child = node
    for parent in ancestors(parents_of(model), node):
        if isinstance(child, cst.Arg) and isinstance(parent, cst.Call) and model.call_fact(parent) is not None:
            return parent
        child = parent
    return None


def observed_spans(model: SemanticModel, node, observe: Optional[Observe], named: Iterable = ()) -> list:
    """The spans of the calls to record for a finding reported on ``node``, in source order;
    ``named``: the call nodes the rule named (``Observe.NAMED_BY_RULE``)."""
    if observe is None:
        return []
    if observe is Observe.NAMED_BY_RULE:
        return sorted({_span(model, call) for call in named})
    if observe is Observe.PIPELINE_CALLS:
        return [_span(model, call.node) for call in model.pipeline_calls]
    call = node if observe is Observe.FLAGGED_CALL and model.call_fact(node) is not None else None
    if call is None:
        call = _receiving_call(model, node)
    return [_span(model, call)] if call is not None else []
