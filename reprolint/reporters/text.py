"""The default output: one line per finding, then a summary line."""

from __future__ import annotations

from collections import Counter

from reprolint.engine import RunReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def finding_line(finding) -> str:
    return f"{finding.path}:{finding.start.line}:{finding.start.column}: {finding.code} {finding.message}"


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


def render(run: RunReport) -> str:
    lines = []
    for report in run.files:
        for error in report.errors:
            lines.append(error.render())
        for finding in report.findings:
            lines.append(finding_line(finding))
            verification = finding.extra.get("verification")
            if verification:
                lines.append(f"  verify: {verification['summary']}")
    lines.append(summary(run))
    return "\n".join(lines) + "\n"
