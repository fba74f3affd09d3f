"""``reprolint check --fix / --unsafe-fixes / --diff``: the per-file step the file loop
(``reprolint.parallel.run_paths``) runs when fixing; the command line reports and exits as for
linting."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

from reprolint.config import validated_like_the_config
from reprolint.engine import internal_error
from reprolint.findings import FileError, FileReport
from reprolint.fix.diff import unified_diff
from reprolint.fix import write
from reprolint.fix.write import encode_like
from reprolint.sources import SourceError, decode_source, kind_of


def fix_options(command):
    """The fix options of ``check``, kept together."""
    options = [
        click.option("--fix", is_flag=True, help="Apply safe fixes to the files, then report what is left."),
        click.option("--unsafe-fixes", is_flag=True,
                     help="With --fix or --diff, also apply unsafe fixes (they change which images or "
                          "values come out); without them, mark unsafe fixes [*] too."),
        click.option("--diff", is_flag=True,
                     help="Print a unified diff of what --fix would change (patch -p0 applies it); write nothing."),
        click.option("--fix-only", is_flag=True,
                     help="Apply the fixes (as --fix), but do not report what is left: exit 0 unless a "
                          "file could not be read, parsed or written (or, with --exit-non-zero-on-fix, "
                          "something was fixed)."),
        click.option("--exit-non-zero-on-fix", is_flag=True,
                     help="With --fix or --fix-only: exit 1 when a file was fixed, even if nothing is left."),
        click.option("--show-fixes", is_flag=True,
                     help="With --fix, --fix-only or --diff: list what was fixed, per file and rule."),
        click.option("--fixable", multiple=True, metavar="CODES",
                     help="Only these rules' fixes are offered (same forms as --select; default ALL; "
                          "config `fixable`)."),
        click.option("--unfixable", multiple=True, metavar="CODES",
                     help="Never offer these rules' fixes: their findings are reported, never fixed "
                          "(config `unfixable`)."),
        click.option("--fix-seed", type=int, default=None, metavar="N",
                     callback=validated_like_the_config("fix-seed"),
                     help="Seed written into the generators fixes insert, 0 to 2**63 - 1 (default 0; "
                          "config `fix-seed`)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass
class FileFix:
    """One file's fix: its text before and after, the number of findings fixed, what is left."""

    report: FileReport  # of the fixed content
    original: str = ""
    fixed: str = ""
    applied: int = 0
    errors: list = field(default_factory=list)
    applied_codes: list = field(default_factory=list)  # the rule code of each finding fixed

    @property
    def changed(self) -> bool:
        return self.fixed != self.original and not self.errors


def fix_content(linter, path: str, data: bytes, unsafe: bool) -> FileFix:
    """Fix a file's bytes by its kind: Python modules and notebooks are fixed, Markdown pages
    are only linted (their code blocks are examples, not code to rewrite)."""
    if linter.reads_as_dependency_file(path):  # requirements files are only linted
        return FileFix(linter.lint_bytes(data, path))
    kind = kind_of(path)
    try:
        if kind == "python":
            text = decode_source(data)
            from reprolint.fix.apply import fix_source  # libcst: only once a file is fixed

            outcome = fix_source(text, path, linter.settings, unsafe=unsafe, linter=linter)
            report = FileReport(path, findings=outcome.remaining, errors=list(outcome.errors))
            return FileFix(report, text, outcome.source, len(outcome.applied), outcome.errors,
                           [finding.code for finding in outcome.applied])
        if kind == "notebook":
            text = data.decode("utf-8-sig")
            from reprolint.fix.notebook import fix_notebook

            outcome = fix_notebook(text, path, linter, unsafe)
            report = linter.lint_bytes(outcome.source.encode("utf-8"), path)
            report.errors.extend(outcome.errors)
            return FileFix(report, text, outcome.source, len(outcome.applied), outcome.errors,
                           [finding.code for finding in outcome.applied])
    except (SourceError, UnicodeDecodeError) as exc:
        report = FileReport(path, errors=[FileError(path, str(exc))])
        return FileFix(report, errors=report.errors)
    except Exception as exc:  # a bug in a fix: this file is left alone, the others are fixed
        report = FileReport(path, errors=[internal_error(path, "fixing", exc)])
        return FileFix(report, errors=report.errors)
    report = linter.lint_bytes(data, path)
    return FileFix(report)


class Fixer:
    """The per-file step of a ``--fix`` or ``--diff`` run: fix a file's bytes, then write the file
    back, print its diff, or (standard input) print the fixed source; return what is left.

    With ``--diff``, or when fixing standard input, standard output carries the diffs or the
    fixed source, so the report goes to standard error (``reports_to_stderr``).
    """

    def __init__(self, linter, unsafe: bool, diff_only: bool, to_stdout: bool = False, paths=()) -> None:
        self.linter = linter
        self.roots = write.real_roots(paths)  # --fix writes only under the paths the user named
        self.unsafe = unsafe
        self.diff_only = diff_only
        self.to_stdout = to_stdout
        self.fixed = 0  # findings fixed (or, with --diff, that would be)
        self.changed_files = 0
        self.fixed_codes: dict = {}  # path -> the codes fixed there, in order (--show-fixes)

    @property
    def reports_to_stderr(self) -> bool:
        return self.diff_only or self.to_stdout

    def __call__(self, data: bytes, path: str) -> FileReport:
        result = fix_content(self.linter, path, data, self.unsafe)
        if self.to_stdout and not self.diff_only:
            self.pass_through(encode_like(result.fixed, data) if result.changed else data)
        if not result.changed:
            return result.report
        self.changed_files += 1
        self.fixed += result.applied
        self.fixed_codes[path] = list(result.applied_codes)
        if self.diff_only:
            click.echo(unified_diff(result.original, result.fixed, path), nl=False)
        elif not self.to_stdout:
            try:
                write.check_may_write(path, self.roots)
                write.write_atomically(path, result.fixed)
            except (OSError, write.NotWritten) as exc:
                if isinstance(exc, write.NotWritten):
                    (result.report.errors if exc.is_error else result.report.notes).append(FileError(path, exc.message))
                else:
                    result.report.errors.append(FileError(path, f"could not write the fixed file: {exc.strerror or exc}"))
                result.report.findings = self.linter.lint_bytes(data, path).findings
                self.fixed -= result.applied
                self.changed_files -= 1
                self.fixed_codes.pop(path, None)
        return result.report

    def pass_through(self, data: bytes) -> None:
        """Standard input's bytes to standard output (fixed, or as they came when nothing is)."""
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
