"""Shared pieces of the human-readable formats: locations, the summary line, colour."""

from __future__ import annotations

from collections import Counter

import click


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def location(finding) -> str:
    """``path:line:col``, or ``nb.ipynb:cell 5:3:9`` for a notebook cell."""
    cell = finding.extra.get("cell")
    cell_part = f"cell {cell}:" if cell is not None else ""
    return f"{finding.path}:{cell_part}{finding.start.line}:{finding.start.column}"


def finding_line(finding, color: bool = False) -> str:
    if not color:
        return f"{location(finding)}: {finding.code} {finding.message}"
    return (f"{click.style(location(finding), bold=True)}: "
            f"{click.style(finding.code, fg='red', bold=True)} {finding.message}")


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


def render(run, options=None) -> str:
    """The concise format (kept under its historical name)."""
    from reprolint.reporters import concise

    return concise.render(run, options)
