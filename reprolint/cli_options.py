"""The ``check`` options for configuration, file selection, standard input and output, and the
code behind them; ``cli.py`` only applies the two decorators and calls these functions."""

from __future__ import annotations

import os
import sys
from typing import Optional

import click

from reprolint.config import KEYS, ConfigError, InvalidValue, resolve_settings, validated_like_the_config
from reprolint.discovery import FileSelector
from reprolint.findings import RunReport
from reprolint.registry import UnknownSelector, expand_selector, select_rules
from reprolint.reporters import FORMATS, ReportOptions, render, statistics
from reprolint.settings import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# --statistics is a table: text for the human formats, a JSON list for json. SARIF, GitHub
# annotations and JUnit describe findings one by one; a count has no place in them.
STATISTICS_FORMATS = (None, "full", "concise", "json")


def split_values(values) -> tuple:
    """``--select RPL101,RPL102 --select RPL3`` -> ("RPL101", "RPL102", "RPL3")."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def config_options(command):
    """--config, file selection and standard-input options."""
    options = [
        click.option("--config", "config_file", metavar="PATH",
                     help="Read settings from this file (a pyproject.toml with [tool.reprolint], or a "
                          "reprolint.toml) instead of the one found by walking up from the first path."),
        click.option("--isolated", is_flag=True, help="Ignore every configuration file."),
        click.option("--exclude", "exclude", multiple=True, metavar="GLOBS",
                     help="Replace the default excludes (.gitignore-style globs, comma-separated)."),
        click.option("--extend-exclude", multiple=True, metavar="GLOBS",
                     help="Exclude these too, on top of the defaults and the configuration."),
        click.option("--force-exclude/--no-force-exclude", default=None,
                     help="Apply excludes and .gitignore even to files named on the command line "
                          "(what pre-commit needs)."),
        click.option("--no-respect-gitignore", "no_respect_gitignore", is_flag=True,
                     help="Lint files that .gitignore ignores."),
        click.option("--extension", "extensions", multiple=True, metavar="EXT",
                     help="Also lint files with this extension when walking folders; `md` lints the "
                          "python code blocks of Markdown files."),
        click.option("--target-version", metavar="VERSION", callback=validated_like_the_config("target-version"),
                     help="The torch version the code targets (e.g. 2.1), for version-dependent advice."),
        click.option("--stdin-filename", metavar="PATH",
                     help="The name of the file read from standard input (`-`), for messages, "
                          "configuration and per-file-ignores."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def output_options(command):
    """--output-format, --output-file and --statistics."""
    options = [
        click.option("--output-format", type=click.Choice(FORMATS), default="full", show_default=True,
                     help="full: finding, source line and caret; concise: one line; json; sarif "
                          "(2.1.0); github (Actions annotations); junit (XML)."),
        click.option("-o", "--output-file", type=click.Path(dir_okay=False), metavar="PATH",
                     help="Write the report to this file instead of standard output."),
        click.option("--statistics", is_flag=True,
                     help="Print a count of findings per rule instead of the findings (text; a JSON "
                          "list with --output-format json; not with sarif, github or junit)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _fail(message: str) -> None:
    click.echo(f"reprolint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):
        return False


def refuse_report_over_input(options: dict, candidates) -> None:
    """Exit 2 when ``-o`` names one of the files being linted (or a hard link to one): the
    report would overwrite the user's source."""
    output_file = options.get("output_file")
    if not output_file or not os.path.exists(output_file):
        return
    for path in candidates:
        if path != "-" and os.path.isfile(path) and _same_file(output_file, path):
            _fail(f"{output_file}: is one of the files being linted ({path}); not overwriting it with "
                  "the report (name another --output-file)")


def reads_stdin(paths, options: dict) -> bool:
    return tuple(paths) == ("-",) or (not paths and options.get("stdin_filename") is not None)


def settings_from(paths, options: dict, **cli) -> Settings:
    """The run's Settings: the configuration file overridden by the command line. A bad
    selector, a bad configuration key or value, or a missing --config file exits with 2."""
    if "-" in paths and len(paths) > 1:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    if options.get("statistics") and options.get("output_format") not in STATISTICS_FORMATS:
        raise click.UsageError("--statistics prints a table (text, or JSON with --output-format json); it "
                               f"cannot be combined with --output-format {options['output_format']}")
    for selector in cli.get("select", ()) + cli.get("ignore", ()) + cli.get("extend_select", ()):
        try:
            expand_selector(selector)
        except UnknownSelector as exc:
            raise click.UsageError(str(exc)) from None
    extensions = tuple(f"*.{ext.lstrip('.').lstrip('*').lstrip('.')}" for ext in split_values(options.get("extensions")))
    cli.update(
        exclude=split_values(options.get("exclude")) or None,
        extend_exclude=split_values(options.get("extend_exclude")) or None,
        extend_include=extensions or None,
        force_exclude=options.get("force_exclude"),
        respect_gitignore=False if options.get("no_respect_gitignore") else None,
        target_version=options.get("target_version"),
    )
    search_from = [options["stdin_filename"]] if reads_stdin(paths, options) and options.get("stdin_filename") else paths
    try:
        settings = resolve_settings(search_from or (".",), cli, config_path=options.get("config_file"),
                                    isolated=bool(options.get("isolated")))
    except ConfigError as exc:
        _fail(str(exc))
    if not select_rules(settings.select, settings.ignore, settings.extend_select):
        # Checking nothing and printing "All checks passed" would be a lie.
        chosen = ", ".join(settings.select + settings.extend_select) or "the default rules"
        _fail(f"no rules selected: ignore ({', '.join(settings.ignore)}) removes every rule selected ({chosen}); "
              "nothing would be checked")
    return settings


def lint_stdin(linter, settings: Settings, options: dict, per_file=None, on_excluded=None):
    """Lint standard input as ``--stdin-filename`` (default ``-``, a Python module), or give it
    to ``per_file(data, path)`` as the file loop would (``--fix``). An excluded name is not
    linted; ``on_excluded(data)`` then says what becomes of the input (``--fix`` prints it back)."""
    filename = options.get("stdin_filename")
    data = sys.stdin.buffer.read()
    run = RunReport()
    if filename and settings.force_exclude and FileSelector(settings).force_excluded(filename):
        if on_excluded is not None:
            on_excluded(data)
        return run  # excluded: nothing to say, as for an excluded file named on the command line
    run.files.append((per_file or linter.lint_bytes)(data, filename or "-"))
    run.checked = 1
    return run


def machine_readable(options: dict) -> bool:
    """Formats read by programs, which expect a well-formed (if empty) report even when nothing
    was linted."""
    return options.get("statistics") is not True and options.get("output_format") not in (None, "full", "concise")


def use_color(output_file: Optional[str]) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if output_file or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def emit(run, options: dict, quiet: bool, unsafe_fixes: bool = False, summary_line: str = "",
         to_stderr: bool = False) -> None:
    """Print (or write to --output-file) the report in the chosen format; notes go to stderr.
    ``to_stderr``: standard output carries a diff or fixed source, so the report goes to stderr,
    concise, with no fix hint."""
    if to_stderr:
        click.echo(render(run, "concise", ReportOptions(quiet=quiet, unsafe_fixes=unsafe_fixes,
                                                        summary_line=summary_line, fix_hint=False)),
                   nl=False, err=True)
        return
    output_format = options.get("output_format") or "full"
    output_file = options.get("output_file")
    color = use_color(output_file)
    if options.get("statistics"):
        text = statistics.render(run, output_format)
    else:
        # After --fix (a summary line says what it did and what it could not), "[*] N fixable
        # with --fix" would point at fixes it just refused (a read-only file, say).
        text = render(run, output_format, ReportOptions(color=color, quiet=quiet, unsafe_fixes=unsafe_fixes,
                                                        summary_line=summary_line, fix_hint=not summary_line))
    if not quiet:
        for report in run.files:
            for note in report.notes:
                click.echo(note.render("note"), err=True)
    if output_file:
        folder = os.path.dirname(os.path.abspath(output_file))
        try:
            os.makedirs(folder, exist_ok=True)
            with open(output_file, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            _fail(f"{output_file}: could not write the report: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False, color=color)


def echo_tracebacks(run) -> None:
    """With --verbose: the traceback of each internal error, for a bug report."""
    for error in run.errors:
        if error.detail:
            click.echo(f"{error.location}: traceback of the internal error:\n{error.detail}", err=True)


def exit_status(run, exit_zero: bool, would_change: bool = False) -> int:
    """0 clean, 1 findings (or, with ``--diff``, a file that would change), 2 errors."""
    if exit_zero:
        return EXIT_CLEAN
    if run.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if run.findings or would_change else EXIT_CLEAN
