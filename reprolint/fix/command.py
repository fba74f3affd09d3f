"""``reprolint check --fix / --unsafe-fixes / --diff``: fix files, write or diff, and report."""

from __future__ import annotations

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
                     help="Seed written into the generators fixes insert (default 0)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def run_fixes(linter, paths, unsafe: bool, diff_only: bool, quiet: bool, exit_zero: bool) -> int:
    """Fix (or diff) every file under ``paths``; print what is left; return the exit status.

    Exit status reflects what is left after fixing: 0 when nothing is, 1 when findings remain
    (with ``--diff``: also when a file would change), 2 when a file could not be read, parsed or
    safely fixed.
    """
    from reprolint.discovery import discover
    from reprolint.engine import RunReport, SourceError, read_source
    from reprolint.findings import FileError, FileReport
    from reprolint.fix.apply import fix_source, is_applicable
    from reprolint.fix.diff import unified_diff
    from reprolint.fix.write import write_atomically
    from reprolint.reporters import text

    found = discover(list(paths))
    run = RunReport()
    fixed_count = 0
    changed_files = 0
    for missing in found.missing:
        run.files.append(FileReport(missing, errors=[FileError(missing, "no such file or directory")]))
    for path in found.files:
        run.checked += 1
        report = FileReport(path)
        run.files.append(report)
        try:
            source = read_source(path)
        except SourceError as exc:
            report.errors.append(FileError(path, str(exc)))
            continue
        outcome = fix_source(source, path, linter.settings, unsafe=unsafe, linter=linter)
        report.findings = outcome.remaining
        report.errors = outcome.errors
        if not outcome.changed:
            continue
        changed_files += 1
        fixed_count += len(outcome.applied)
        if diff_only:
            click.echo(unified_diff(outcome.original, outcome.source, path), nl=False)
            continue
        try:
            write_atomically(path, outcome.source)
        except OSError as exc:
            report.errors.append(FileError(path, f"could not write the fixed file: {exc.strerror or exc}"))
            report.findings = linter.lint_source(source, path).findings
            fixed_count -= len(outcome.applied)
    run.files.sort(key=lambda r: r.path)
    remaining = run.findings
    hidden = 0 if unsafe else sum(1 for f in remaining if is_applicable(f, True))
    verb = "Would fix" if diff_only else "Fixed"
    line = f"{verb} {fixed_count}, {len(remaining)} remaining"
    if hidden:
        line += f" ({hidden} fixable with --unsafe-fixes)"
    if run.errors:
        line += f", {_plural(len(run.errors), 'error')}"
    line += f" ({_plural(run.checked, 'file')} checked)."
    output = text.render(run, unsafe_fixes=unsafe, with_summary=False)
    if not quiet:
        output += line + "\n"
    # With --diff, stdout carries only the diff, so it can be piped to patch.
    click.echo(output, nl=False, err=diff_only)
    if exit_zero:
        return EXIT_CLEAN
    if run.errors:
        return EXIT_ERROR
    if remaining or (diff_only and changed_files):
        return EXIT_FINDINGS
    return EXIT_CLEAN
