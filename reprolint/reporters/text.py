"""Shared pieces of the human-readable formats: locations, the summary line, colour."""

from __future__ import annotations

from collections import Counter

import click

from reprolint.findings import printable


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def location(finding) -> str:
    """``path:line:col``, or ``nb.ipynb:cell 5:3:9`` for a notebook cell."""
    cell = finding.extra.get("cell")
    cell_part = f"cell {cell}:" if cell is not None else ""
    return f"{printable(finding.path)}:{cell_part}{finding.start.line}:{finding.start.column}"


def fix_applies(finding, unsafe_fixes: bool = False) -> bool:
    """Whether ``--fix`` (with ``--unsafe-fixes`` when given) would fix this finding."""
    fix = finding.fix
    if fix is None:
        return False
    return unsafe_fixes or getattr(fix.applicability, "value", fix.applicability) == "safe"


def finding_line(finding, unsafe_fixes: bool = False, color: bool = False) -> str:
    """``path:line:col: CODE message``; ``CODE [*] message`` when ``--fix`` would fix it (ruff's
    marker; unsafe fixes count only with ``--unsafe-fixes``)."""
    marker = "[*] " if fix_applies(finding, unsafe_fixes) else ""
    if not color:
        return f"{location(finding)}: {finding.code} {marker}{finding.message}"
    return (f"{click.style(location(finding), bold=True)}: "
            f"{click.style(finding.code, fg='red', bold=True)} {marker}{finding.message}")


def verification_lines(finding) -> list:
    """The ``--verify`` verdict under a finding, when there is one."""
    verification = finding.extra.get("verification")
    return [f"  verify: {verification['summary']}"] if verification else []


def fixable_hint(findings, unsafe_fixes: bool = False) -> str:
    """ruff's line on what ``--fix`` could do, or "" when no fix exists."""
    fixable = sum(1 for f in findings if fix_applies(f, unsafe_fixes))
    hidden = sum(1 for f in findings if fix_applies(f, True)) - fixable
    if not fixable and not hidden:
        return ""
    text = f"[*] {fixable} fixable with --fix" if fixable else "No fixes available"
    if hidden:
        noun = "hidden fix" if hidden == 1 else "hidden fixes"
        text += f" ({hidden} {noun} can be enabled with --unsafe-fixes)"
    return text + "."


def closing_lines(run, options) -> list:
    """The fix hint and the summary line, unless ``--quiet``."""
    if options is not None and options.quiet:
        return []
    unsafe_fixes = bool(options and options.unsafe_fixes)
    hint = fixable_hint(run.findings, unsafe_fixes)
    if options is not None and not options.fix_hint:
        hint = ""
    return ([hint] if hint else []) + [(options and options.summary_line) or summary(run)]


def error_line(error, color: bool = False, severity: str = "error") -> str:
    text = error.render(severity)
    if not color:
        return text
    return text.replace(f": {severity}: ", ": " + click.style(f"{severity}:", fg="red", bold=True) + " ", 1)


def summary(run) -> str:
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



def fix_summary(run, fixed: int, diff_only: bool = False, unsafe_fixes: bool = False) -> str:
    """``--fix``'s summary line, in place of ``summary``: what was fixed (``--diff``: would be)
    and what is left, e.g. ``Fixed 2, 1 remaining (1 fixable with --unsafe-fixes) (1 file checked).``"""
    from reprolint.findings import Applicability

    remaining = run.findings

    def applicable(finding) -> bool:
        return finding.fix is not None and (
            unsafe_fixes or Applicability(finding.fix.applicability) is Applicability.SAFE)

    # A fix that applies but is still there was not applied (the file was not written, or fixing
    # it failed): that is not a fix --unsafe-fixes would bring.
    not_applied = sum(1 for f in remaining if applicable(f))
    hidden = sum(1 for f in remaining if f.fix is not None and not applicable(f))
    line = f"{'Would fix' if diff_only else 'Fixed'} {fixed}, {len(remaining)} remaining"
    counts = ([f"{not_applied} {'fix' if not_applied == 1 else 'fixes'} not applied"] if not_applied else []) + (
        [f"{hidden} fixable with --unsafe-fixes"] if hidden else [])
    if counts:
        line += f" ({', '.join(counts)})"
    if run.errors:
        line += f", {_plural(len(run.errors), 'error')}"
    return line + f" ({_plural(run.checked, 'file')} checked)."


def fixes_listing(fixed_codes: dict, diff_only: bool = False) -> str:
    """``--show-fixes``: what was fixed (``--diff``: would be), per file and rule, as ruff lists it::

        Fixed 3 findings:
        - gen.py:
            2 × RPL101 (pipeline-call-without-generator)
    """
    from reprolint.registry import RULES_BY_CODE

    total = sum(len(codes) for codes in fixed_codes.values())
    verb = "Would fix" if diff_only else "Fixed"
    if not total:
        return f"{verb} nothing.\n"
    lines = [f"{verb} {_plural(total, 'finding')}:"]
    for path in sorted(fixed_codes):
        if not fixed_codes[path]:
            continue
        lines.append(f"- {path}:")
        for code, count in sorted(Counter(fixed_codes[path]).items()):
            name = RULES_BY_CODE[code].name if code in RULES_BY_CODE else ""
            lines.append(f"    {count} \u00d7 {code} ({name})" if name else f"    {count} \u00d7 {code}")
    return "\n".join(lines) + "\n"


def fix_only_summary(run, fixed: int, diff_only: bool = False) -> str:
    """``--fix-only``'s summary line: what was fixed, not what is left."""
    line = f"{'Would fix' if diff_only else 'Fixed'} {_plural(fixed, 'finding')}"
    if run.errors:
        line += f", {_plural(len(run.errors), 'error')}"
    return line + f" ({_plural(run.checked, 'file')} checked)."


def without_findings(run):
    """``run`` with its findings dropped and its errors kept (``--fix-only``)."""
    from reprolint.findings import FileReport, RunReport

    files = [FileReport(report.path, errors=report.errors, notes=report.notes) for report in run.files]
    return RunReport(files=files, checked=run.checked)
