"""``reprolint check --add-noqa``: suppress every current finding with a ``# noqa: CODE`` on its
line, the way a team adopts a linter on a large repository (ruff's ``--add-noqa``): new code is
held to the rules, existing findings are grandfathered and can be worked off one by one.

Only Python files get directives. A finding in a notebook, a Markdown page or a dependency file,
or on a line that ends inside a string or continues with ``\\``, cannot take a line comment; it is
left, and reported as still there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reprolint.findings import FileError
from reprolint.fix import write
from reprolint.noqa import add_noqa_directives
from reprolint.sources import SourceError, decode_source, kind_of


@dataclass
class AddedNoqa:
    added: int = 0  # directives written or extended (one per line)
    files: int = 0  # files changed
    remaining: list = field(default_factory=list)  # findings that could not be suppressed


def add_noqa(run, linter, paths) -> AddedNoqa:
    """Write the directives for ``run``'s findings into their files; a file that cannot be written
    gets an error in ``run`` (exit 2), and its findings stay."""
    result = AddedNoqa()
    roots = write.real_roots(paths)
    for report in run.files:
        if not report.findings:
            continue
        if kind_of(report.path) != "python" or linter.reads_as_dependency_file(report.path):
            result.remaining.extend(report.findings)
            continue
        codes_by_line: dict = {}
        for finding in report.findings:
            codes_by_line.setdefault(finding.start.line, []).append(finding.code)
        try:
            with open(report.path, "rb") as handle:
                source = decode_source(handle.read())
            new_source, changed, refused = add_noqa_directives(source, codes_by_line)
            if changed:
                write.check_may_write(report.path, roots)
                write.write_atomically(report.path, new_source)
        except (OSError, SourceError, write.NotWritten) as exc:
            message = exc.message if isinstance(exc, write.NotWritten) else getattr(exc, "strerror", None) or str(exc)
            report.errors.append(FileError(report.path, f"could not add noqa directives: {message}"))
            result.remaining.extend(report.findings)
            continue
        result.added += len(changed)
        result.files += bool(changed)
        result.remaining.extend(f for f in report.findings if f.start.line in refused)
    return result
