"""``reprolint check --fix / --unsafe-fixes / --diff``: fix files, write or diff, and report."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fix_options(command):
    """The fix options of ``check``, kept together."""
    options = [
        click.option("--fix", is_flag=True, help="Apply safe fixes to the files, then report what is left."),
        click.option("--unsafe-fixes", is_flag=True,
                     help="With --fix or --diff, also apply unsafe fixes (they change which images or "
                          "values come out); without them, mark unsafe fixes [*] too."),
        click.option("--diff", is_flag=True,
                     help="Print a unified diff of what --fix would change (patch -p0 applies it); write nothing."),
        click.option("--fix-seed", type=int, default=None, metavar="N",
                     help="Seed written into the generators fixes insert (default 0; config `fix-seed`)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class FileFix:
    """One file's fix: its text before and after, the number of findings fixed, what is left."""

    report: object  # FileReport of the fixed content
    original: str = ""
    fixed: str = ""
    applied: int = 0
    errors: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original and not self.errors


def fix_content(linter, path: str, data: bytes, unsafe: bool) -> FileFix:
    """Fix a file's bytes by its kind: Python modules and notebooks are fixed, Markdown pages
    are only linted (their code blocks are examples, not code to rewrite)."""
    from reprolint.findings import FileError, FileReport
    from reprolint.fix.apply import fix_source
    from reprolint.fix.notebook import fix_notebook
    from reprolint.sources import SourceError, decode_source, kind_of

    kind = kind_of(path)
    try:
        if kind == "python":
            text = decode_source(data)
            outcome = fix_source(text, path, linter.settings, unsafe=unsafe, linter=linter)
            report = FileReport(path, findings=outcome.remaining, errors=list(outcome.errors))
            return FileFix(report, text, outcome.source, len(outcome.applied), outcome.errors)
        if kind == "notebook":
            text = data.decode("utf-8-sig")
            outcome = fix_notebook(text, path, linter, unsafe)
            report = linter.lint_bytes(outcome.source.encode("utf-8"), path)
            report.errors.extend(outcome.errors)
            return FileFix(report, text, outcome.source, len(outcome.applied), outcome.errors)
    except (SourceError, UnicodeDecodeError) as exc:
        report = FileReport(path, errors=[FileError(path, str(exc))])
        return FileFix(report, errors=report.errors)
    except Exception as exc:  # a bug in a fix: this file is left alone, the others are fixed
        from reprolint.engine import internal_error

        report = FileReport(path, errors=[internal_error(path, "fixing", exc)])
        return FileFix(report, errors=report.errors)
    report = linter.lint_bytes(data, path)
    return FileFix(report)


def run_fixes(linter, paths, unsafe: bool, diff_only: bool, quiet: bool, exit_zero: bool,
              stdin_filename=None, emit=None) -> int:
    """Fix (or diff) every file under ``paths`` (or standard input); report; return the exit status.

    Exit status reflects what is left after fixing: 0 when nothing is, 1 when findings remain
    (with ``--diff``: also when a file would change), 2 when a file could not be read, parsed or
    safely fixed. With ``--diff``, or when fixing standard input, standard output carries the
    diff or the fixed source, and the report goes to standard error.
    """
    from reprolint.discovery import discover
    from reprolint.engine import RunReport
    from reprolint.findings import FileError, FileReport
    from reprolint.fix.diff import unified_diff
    from reprolint.fix.write import encode_like, write_atomically
    from reprolint.reporters import text

    run = RunReport()
    fixed_count = changed_files = 0
    if stdin_filename is not None:
        entries = [(stdin_filename, sys.stdin.buffer.read())]
    else:
        found = discover(list(paths), linter.settings)
        # Fixes see the project the way linting does (``reprolint.semantic.project``).
        linter.project = linter.index_project(found.files, paths)
        for missing in found.missing:
            run.files.append(FileReport(missing, errors=[FileError(missing, "no such file or directory")]))
        entries = [(path, None) for path in found.files]
    for path, data in entries:
        run.checked += 1
        if data is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                run.files.append(FileReport(path, errors=[FileError(path, f"could not read: {exc.strerror or exc}")]))
                continue
        result = fix_content(linter, path, data, unsafe)
        run.files.append(result.report)
        if stdin_filename is not None and not diff_only:
            sys.stdout.flush()
            sys.stdout.buffer.write(encode_like(result.fixed, data) if result.changed else data)
            sys.stdout.buffer.flush()
        if not result.changed:
            continue
        changed_files += 1
        fixed_count += result.applied
        if diff_only:
            click.echo(unified_diff(result.original, result.fixed, path), nl=False)
        elif stdin_filename is None:
            try:
                write_atomically(path, result.fixed)
            except OSError as exc:
                result.report.errors.append(FileError(path, f"could not write the fixed file: {exc.strerror or exc}"))
                result.report.findings = linter.lint_bytes(data, path).findings
                fixed_count -= result.applied
    run.files.sort(key=lambda r: r.path)
    if run.checked == 0 and not run.errors and not linter.settings.force_exclude:
        click.echo(f"warning: no Python files found under {', '.join(paths)}", err=True)
    remaining = run.findings
    hidden = 0 if unsafe else sum(1 for f in remaining if f.fix is not None)
    line = f"{'Would fix' if diff_only else 'Fixed'} {fixed_count}, {len(remaining)} remaining"
    if hidden:
        line += f" ({hidden} fixable with --unsafe-fixes)"
    if run.errors:
        line += f", {_plural(len(run.errors), 'error')}"
    line += f" ({_plural(run.checked, 'file')} checked)."
    if diff_only or stdin_filename is not None or emit is None:
        report = text.render(run, unsafe_fixes=unsafe, with_summary=False) + ("" if quiet else line + "\n")
        click.echo(report, nl=False, err=diff_only or stdin_filename is not None)
    else:
        emit(run, line)
    if exit_zero:
        return EXIT_CLEAN
    if run.errors:
        return EXIT_ERROR
    if remaining or (diff_only and changed_files):
        return EXIT_FINDINGS
    return EXIT_CLEAN
