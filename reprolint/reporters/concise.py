"""``--output-format concise``: one line per finding, then the summary line."""

from __future__ import annotations

from reprolint.reporters.text import closing_lines, error_line, finding_line, verification_lines


def render(run, options=None, details=None) -> str:
    """``details(finding, color)`` adds lines under each finding (the full format's excerpt)."""
    color = bool(options and options.color)
    unsafe_fixes = bool(options and options.unsafe_fixes)
    lines = []
    for report in run.files:
        lines.extend(error_line(error, color) for error in report.errors)
        for finding in report.findings:
            lines.append(finding_line(finding, unsafe_fixes, color))
            lines.extend(verification_lines(finding))
            if details is not None:
                lines.extend(details(finding, color))
    lines.extend(closing_lines(run, options))
    return "".join(line + "\n" for line in lines)
