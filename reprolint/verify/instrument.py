"""Source transforms that turn a user's script into the copies ``--verify`` runs.

Every transform keeps each statement on its original line, so a traceback from the instrumented
copy points at the user's own line numbers. The user's file is only read, never written.

- :func:`locate_targets` gathers the call(s) whose output shows each finding's effect, as the rule
  found them when it reported (``Finding.verify_targets``).
- :func:`wrap_captures` wraps those calls: ``pipe(p)`` becomes
  ``__reprolint_capture__(3, pipe(p))``, which records the output and returns it unchanged.
- :func:`wrap_generator_arguments` wraps the ``generator=`` argument of captured calls, for the
  copies that re-seed the generator or draw once more from the global one before the call.
- :func:`hand_calls_to` hands captured calls to a hook that makes them itself: twice, for the
  copy that repeats a call; or the batch and then its last image alone.
- :func:`read_seed_as_zero` makes a seed test read seed 0, for the copy run "with seed 0".
- :func:`retarget_devices` rewrites the script's own device choices to the device under test.

This module imports no torch; the parent process uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from reprolint.verify.declarations import verification_of

CAPTURE = "__reprolint_capture__"
RESEED = "__reprolint_reseed__"
PERTURB = "__reprolint_perturb__"
REPEAT = "__reprolint_repeat__"
ALONE = "__reprolint_alone__"
# What a training run records (reprolint.verify.child): each step's loss, the final weights.
LOSS_CAPTURE, WEIGHTS_CAPTURE = -1, -2
TRAINING_STEPS = 2  # optimizer steps each training run is stopped after
_ACCELERATOR = re.compile(r"^(cuda|mps|xpu|npu)(:\d+)?$")

Span = tuple  # (start line, start column, end line, end column), 1-based lines, 0-based columns


@dataclass
class Targets:
    """Where each finding's effect can be observed: the spans of the calls to capture."""

    spans: list = field(default_factory=list)  # every span to capture, in source order
    by_finding: dict = field(default_factory=dict)  # id(finding) -> [span, ...]
    reasons: dict = field(default_factory=dict)  # id(finding) -> why no call could be found
    training: set = field(default_factory=set)  # id(finding) of those checked on training steps

    def capture_id(self, span: Span) -> int:
        return self.spans.index(span)


def locate_targets(findings: Iterable) -> Targets:
    """The calls to capture for each finding: those its rule found its effect shows in. A finding
    with none is checked on training steps where its rule says so, else not at all."""
    targets = Targets()
    chosen: set = set()
    for finding in findings:
        spans = finding.verify_targets
        targets.by_finding[id(finding)] = spans
        chosen.update(spans)
        if spans:
            continue
        if verification_of(finding).training:
            targets.training.add(id(finding))
        else:
            targets.reasons[id(finding)] = "no call to observe at the reported position"
    targets.spans = sorted(chosen)
    return targets


class _SpanTransformer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, spans: list) -> None:
        super().__init__()
        self.ids = {span: index for index, span in enumerate(spans)}

    def span_of(self, node) -> Span:
        r = self.get_metadata(PositionProvider, node)
        return (r.start.line, r.start.column, r.end.line, r.end.column)


class _CaptureWrapper(_SpanTransformer):
    def leave_Call(self, original, updated):
        capture_id = self.ids.get(self.span_of(original))
        if capture_id is None:
            return updated
        return cst.Call(
            func=cst.Name(CAPTURE),
            args=[cst.Arg(cst.Integer(str(capture_id)),
                          comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                  cst.Arg(updated)],
        )


def wrap_captures(source: str, spans: list) -> str:
    """Wrap every call at ``spans`` so that its output is recorded under its index in ``spans``."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    return wrapper.visit(_CaptureWrapper(spans)).code


class _GeneratorArgumentWrapper(cst.CSTTransformer):
    def __init__(self, hook: str, capture_ids: set) -> None:
        super().__init__()
        self.hook = hook
        self.capture_ids = capture_ids
        self.wrapped: set = set()

    def leave_Call(self, original, updated):
        if not (isinstance(updated.func, cst.Name) and updated.func.value == CAPTURE and len(updated.args) == 2):
            return updated
        first, inner = updated.args
        if not isinstance(first.value, cst.Integer) or int(first.value.value) not in self.capture_ids:
            return updated
        call = inner.value
        if not isinstance(call, cst.Call):
            return updated
        args = []
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "generator":
                hooked = cst.Call(func=cst.Name(self.hook), args=[
                    cst.Arg(first.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                    cst.Arg(arg.value)])
                arg = arg.with_changes(value=hooked)
                self.wrapped.add(int(first.value.value))
            args.append(arg)
        return updated.with_changes(args=[first, inner.with_changes(value=call.with_changes(args=args))])


def wrap_generator_arguments(instrumented: str, hook: str, capture_ids: set) -> tuple:
    """Wrap ``generator=`` of the captured calls ``capture_ids`` with ``hook(id, generator)``.

    Returns the new source and the ids whose call had a ``generator=`` keyword to wrap.
    """
    transformer = _GeneratorArgumentWrapper(hook, set(capture_ids))
    code = cst.parse_module(instrumented).visit(transformer).code
    return code, transformer.wrapped


class _CallHander(cst.CSTTransformer):
    def __init__(self, hook: str, capture_ids: set) -> None:
        super().__init__()
        self.hook = hook
        self.capture_ids = capture_ids

    def leave_Call(self, original, updated):
        if not (isinstance(updated.func, cst.Name) and updated.func.value == CAPTURE and len(updated.args) == 2):
            return updated
        first, inner = updated.args
        call = inner.value
        if not isinstance(first.value, cst.Integer) or int(first.value.value) not in self.capture_ids \
                or not isinstance(call, cst.Call):
            return updated
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        arguments = [cst.Arg(first.value, comma=comma), cst.Arg(call.func, comma=comma if call.args else
                                                                  cst.MaybeSentinel.DEFAULT)]
        return updated.with_changes(func=cst.Name(self.hook), args=arguments + list(call.args))


def hand_calls_to(instrumented: str, hook: str, capture_ids: set) -> str:
    """``__reprolint_capture__(3, f(a, k=v))`` becomes ``hook(3, f, a, k=v)`` for the captured
    calls ``capture_ids``: the hook makes the call (the arguments are evaluated once, as
    written) and records what it shows."""
    return cst.parse_module(instrumented).visit(_CallHander(hook, set(capture_ids))).code


_SEED_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")


def tested_seed(source: str, finding) -> Optional[str]:
    """The seed expression a seed-test finding tests (``args.seed`` in ``if args.seed:``), read
    from the reported text: its dotted name whose last part names a seed."""
    lines = source.splitlines()
    if not 0 < finding.start.line <= len(lines):
        return None
    if finding.start.line == finding.end.line:
        text = lines[finding.start.line - 1][finding.start.column - 1:finding.end.column - 1]
    else:
        text = lines[finding.start.line - 1][finding.start.column - 1:]
    for match in _SEED_WORD.finditer(text):
        name = re.sub(r"\s+", "", match.group())
        if "seed" in name.rsplit(".", 1)[-1].lower():
            return name
    return None


class _SeedAsZero(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, seeds: dict) -> None:
        super().__init__()
        self.seeds = seeds  # line -> {dotted seed expression}
        self.kept: set = set()  # ids of names that are written, not read, or only attribute names
        self.replaced = 0

    def _read_seed(self, node) -> bool:
        if id(node) in self.kept:
            return False
        line = self.get_metadata(PositionProvider, node).start.line
        return dotted_name(node) in self.seeds.get(line, ())

    def _keep(self, node) -> None:
        if node is not None:
            self.kept.add(id(node))

    def visit_Attribute(self, node):
        self._keep(node.attr)
        return True

    def visit_Arg(self, node):
        self._keep(node.keyword)
        return True

    def visit_AssignTarget(self, node):
        return False

    def visit_Param(self, node):
        return False

    def visit_AugAssign(self, node):
        self._keep(node.target)
        return True

    def visit_AnnAssign(self, node):
        self._keep(node.target)
        return True

    def _zero(self, original, updated):
        if self._read_seed(original):
            self.replaced += 1
            return cst.Integer("0", lpar=updated.lpar, rpar=updated.rpar)
        return updated

    def leave_Name(self, original, updated):
        return self._zero(original, updated)

    def leave_Attribute(self, original, updated):
        return self._zero(original, updated)


def dotted_name(node) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def read_seed_as_zero(source: str, seeds: dict) -> tuple:
    """The copy in which each seed expression reads 0 on the lines where it is tested:
    ``seeds`` maps a line to the dotted seed expressions to replace there (``args.seed``).
    What the line then does with seed 0 is what ``--seed 0`` gives. Returns the new source and
    how many reads were replaced."""
    transformer = _SeedAsZero(seeds)
    code = MetadataWrapper(cst.parse_module(source)).visit(transformer).code
    return code, transformer.replaced


def seed_tests_of(source: str, findings: Iterable) -> dict:
    """``read_seed_as_zero``'s map for seed-test findings: every line of each finding."""
    seeds: dict = {}
    for finding in findings:
        name = tested_seed(source, finding)
        if name is None:
            continue
        for line in range(finding.start.line, finding.end.line + 1):
            seeds.setdefault(line, set()).add(name)
    return seeds


class _DeviceRetargeter(cst.CSTTransformer):
    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device
        self.changed = 0

    def _literal(self):
        self.changed += 1
        return cst.SimpleString(repr(self.device).replace("'", '"'))

    def leave_SimpleString(self, original, updated):
        try:
            value = updated.evaluated_value
        except Exception:  # bytes or odd prefixes: not a device
            return updated
        if isinstance(value, str) and _ACCELERATOR.match(value) and value.split(":")[0] != self.device:
            return self._literal()
        return updated

    def leave_FormattedString(self, original, updated):
        # f"cuda:{rank}": an accelerator with a computed index.
        first = updated.parts[0] if updated.parts else None
        if isinstance(first, cst.FormattedStringText) and re.match(r"^(cuda|mps|xpu|npu):$", first.value) \
                and not first.value.startswith(self.device):
            return self._literal()
        return updated

    def leave_Call(self, original, updated):
        # model.cuda() -> model.to("cpu"); torch.cuda.* module functions are left alone.
        func = updated.func
        if self.device != "cuda" and isinstance(func, cst.Attribute) and func.attr.value == "cuda" \
                and not (isinstance(func.value, cst.Name) and func.value.value == "torch"):
            self.changed += 1
            return updated.with_changes(
                func=func.with_changes(attr=cst.Name("to")),
                args=[cst.Arg(cst.SimpleString(f'"{self.device}"'))],
            )
        return updated


def retarget_devices(source: str, device: str) -> str:
    """Point the script's accelerator choices (``"cuda"``, ``"cuda:0"``, ``f"cuda:{i}"``,
    ``"mps"``, ``.cuda()``) at ``device``. ``"cpu"`` is never changed: it is the reproducible
    choice for generators, and placing work on the GPU under test is done when a pipeline is
    loaded."""
    return cst.parse_module(source).visit(_DeviceRetargeter(device)).code


def capture_ids_of(targets: Targets, finding) -> list:
    if id(finding) in targets.training:
        return [LOSS_CAPTURE, WEIGHTS_CAPTURE]
    return [targets.capture_id(span) for span in targets.by_finding.get(id(finding), [])]


def describe_span(span: Optional[Span]) -> str:
    return f"line {span[0]}" if span else "unknown line"
