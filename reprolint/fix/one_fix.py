"""Fix one finding alone: the editor's quick fix and ``--output-format rdjson``'s suggestions.

``OneFixLinter`` wraps a Linter so that ``fix_source`` applies exactly one fix;
``attach_suggestions`` gives each fixable finding its fix as whole-line replacements (reviewdog's
``suggestions``).
"""

from __future__ import annotations

import difflib

from reprolint.engine import Linter
from reprolint.reporters.rdjson import SUGGESTIONS
from reprolint.sources import SourceError, decode_source, kind_of


class OneFixLinter:
    """A linter that offers exactly one fix: the ``ordinal``-th fixable ``code`` finding of the
    first lint. ``fix_source`` lints again after fixing; that lint offers none, so it stops.

    The finding is named by its rank, not its position: ``fix_notebook`` lints the cells joined
    with boundary comments, where positions differ but the order of findings does not."""

    def __init__(self, linter: Linter, code: str, ordinal: int) -> None:
        self._linter = linter
        self._code = code
        self._ordinal = ordinal
        self._offered = False

    def __getattr__(self, name):
        return getattr(self._linter, name)

    def lint_module(self, module, source, report):
        report = self._linter.lint_module(module, source, report)
        same = [f for f in report.findings if f.code == self._code and f.fix is not None]
        report.findings = [] if self._offered else same[self._ordinal:self._ordinal + 1]
        self._offered = True
        return report


def fix_one(linter, source: str, path: str, code: str, ordinal: int):
    """``source`` with only the ``ordinal``-th fixable ``code`` finding fixed (unsafe allowed:
    the caller chose the finding), or None when that fix gives nothing or invalid code."""
    from reprolint.fix.apply import fix_source

    outcome = fix_source(source, path, linter.settings, unsafe=True, linter=OneFixLinter(linter, code, ordinal))
    if outcome.errors or not outcome.changed:
        return None
    return outcome.source


def line_replacements(before: str, after: str) -> list:
    """The smallest whole-line replacements turning ``before`` into ``after``, as (first line,
    line after the last, new text), lines 0-based."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [(a_start, a_end, "".join(new[b_start:b_end]))
            for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes() if tag != "equal"]


def attach_suggestions(run, linter, unsafe: bool = False) -> None:
    """For ``--output-format rdjson``: each finding whose fix ``--fix`` would apply (unsafe ones
    only with ``unsafe``) gets, in ``extra``, that fix alone as reviewdog suggestions: whole-line
    replacements, ranges 1-based and end-exclusive. Python files only (a notebook's edits would
    be edits of its JSON); each costs one fix of the file, so only this format pays for it."""
    from reprolint.fix.apply import is_applicable

    for report in run.files:
        fixable = [f for f in report.findings if f.fix is not None]
        if not any(is_applicable(f, unsafe) for f in fixable):
            continue
        if kind_of(report.path) != "python" or linter.reads_as_dependency_file(report.path):
            continue
        try:
            with open(report.path, "rb") as handle:
                source = decode_source(handle.read())
        except (OSError, SourceError):
            continue
        for finding in fixable:
            if not is_applicable(finding, unsafe):
                continue
            ordinal = [f for f in fixable if f.code == finding.code].index(finding)
            fixed = fix_one(linter, source, report.path, finding.code, ordinal)
            if fixed is None:
                continue
            finding.extra[SUGGESTIONS] = [
                {"range": {"start": {"line": first + 1, "column": 1}, "end": {"line": last + 1, "column": 1}},
                 "text": text}
                for first, last, text in line_replacements(source, fixed)]
