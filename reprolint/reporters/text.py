"""The default output: one line per finding, then a summary line."""

from __future__ import annotations

from collections import Counter

from reprolint.engine import RunReport
from reprolint.fix.apply import is_applicable


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def finding_line(finding, unsafe_fixes: bool = False) -> str:
    """``path:line:col: CODE message``; ``CODE [*] message`` when ``--fix`` would fix it (ruff's
    marker; unsafe fixes count only with ``--unsafe-fixes``)."""
    marker = "[*] " if is_applicable(finding, unsafe_fixes) else ""
    return f"{finding.path}:{finding.start.line}:{finding.start.column}: {finding.code} {marker}{finding.message}"


def fixable_hint(findings, unsafe_fixes: bool = False) -> str:
    """ruff's line on what ``--fix`` could do, or "" when no fix exists."""
    fixable = sum(1 for f in findings if is_applicable(f, unsafe_fixes))
    hidden = sum(1 for f in findings if is_applicable(f, True)) - fixable
    if not fixable and not hidden:
        return ""
    text = f"[*] {fixable} fixable with --fix" if fixable else "No fixes available"
    if hidden:
        noun = "hidden fix" if hidden == 1 else "hidden fixes"
        text += f" ({hidden} {noun} can be enabled with --unsafe-fixes)"
    return text + "."


def summary(run: RunReport) -> str:
    findings = run.findings
    errors = run.errors
    checked = _plural(run.checked, "file")
    if not findings and not errors:
        return f"All checks passed ({checked} checked)."
    parts = []
    if findings:
        families = Counter(f"{f.code[:4]}xx" for f in findings)
        by_family = ", ".join(f"{n} {family}" for family, n in sorted(families.items()))
        files_with = len({f.path for f in findings})
        parts.append(f"Found {_plural(len(findings), 'finding')} ({by_family}) in {_plural(files_with, 'file')}")
    if errors:
        parts.append(f"{_plural(len(errors), 'error')}" if findings else f"Found {_plural(len(errors), 'error')}")
    return " and ".join(parts) + f" ({checked} checked)."


def render(run: RunReport, unsafe_fixes: bool = False, with_summary: bool = True,
           summary_line: str = "") -> str:
    """Findings and errors, then (unless ``with_summary`` is False) the fix hint and the summary
    (``summary_line`` replaces the default one, as ``--fix`` does)."""
    lines = []
    for report in run.files:
        for error in report.errors:
            lines.append(error.render())
        for finding in report.findings:
            lines.append(finding_line(finding, unsafe_fixes))
    if with_summary:
        hint = fixable_hint(run.findings, unsafe_fixes)
        if hint:
            lines.append(hint)
        lines.append(summary_line or summary(run))
    return "".join(line + "\n" for line in lines)
