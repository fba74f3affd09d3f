"""The ``check`` options for configuration, file selection, standard input and output, and the
code behind them; ``cli.py`` only applies the two decorators and calls these functions."""

from __future__ import annotations

import json
import os
import sys
from typing import Optional

import click

from reprolint.config import (KEYS, ConfigError, InvalidValue, is_override, parse_override, resolve_settings,
                              validated_like_the_config)
from reprolint.discovery import FileSelector, discover
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
        click.option("--config", "config_file", metavar="PATH | KEY=VALUE", multiple=True,
                     help="A file: read settings from it (a pyproject.toml with [tool.reprolint], or a "
                          "reprolint.toml) instead of the one found by walking up from the first path. "
                          "KEY = VALUE (TOML, e.g. 'ignore = [\"RPL301\"]'): override that key of the "
                          "configuration; repeatable."),
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
                          "(2.1.0); github (Actions annotations); junit (XML); gitlab (Code Quality); "
                          "rdjson (reviewdog); pylint (path:line: [CODE] message)."),
        click.option("-o", "--output-file", type=click.Path(dir_okay=False), metavar="PATH",
                     help="Write the report to this file instead of standard output."),
        click.option("--statistics", is_flag=True,
                     help="Print a count of findings per rule instead of the findings (text; a JSON "
                          "list with --output-format json; not with the other machine-read formats)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def inspection_options(command):
    """--show-settings and --show-files (say what a run would use, and lint nothing) and
    --add-noqa (suppress what a run finds)."""
    options = [
        click.option("--show-settings", is_flag=True,
                     help="Print the configuration file that applies, the resulting settings and the "
                          "enabled rules, then exit."),
        click.option("--show-files", is_flag=True,
                     help="Print the files that would be linted, one per line, then exit."),
        click.option("--watch", is_flag=True,
                     help="Lint, then lint again whenever a linted file or the configuration changes "
                          "(polling twice a second); Ctrl-C stops."),
        click.option("--add-noqa", is_flag=True,
                     help="Add `# noqa: CODE` to every line with a finding (Python files), so that "
                          "existing findings are grandfathered and new code is held to the rules."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _toml_value(value) -> str:
    """A settings value as TOML (strings, numbers, booleans, lists, pairs as inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if value and all(isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in value):
        return "{ " + ", ".join(f"{json.dumps(key)} = {_toml_value(item)}" for key, item in value) + " }"
    return "[" + ", ".join(_toml_value(item) for item in value) + "]"


def show_settings(settings: Settings, selected, paths) -> None:
    """``--show-settings``: where the settings came from, each as its configuration key would set
    it, and the rules they enable (as ruff's ``--show-settings`` shows its resolved settings)."""
    lines = [f"Resolved settings for: {', '.join(paths or ('.',))}",
             f"Settings path: {settings.config_path or 'none (defaults; no pyproject.toml with [tool.reprolint] or reprolint.toml found)'}",
             f"Project root: {settings.project_root}", ""]
    fields = {field_name: key for key, (field_name, _) in KEYS.items()}
    for field_name, key in fields.items():
        if hasattr(settings, field_name):
            lines.append(f"{key} = {_toml_value(getattr(settings, field_name))}")
    lines += ["", f"Enabled rules ({len(selected)}):"]
    lines += [f"  {rule.code}  {rule.name}" for rule in selected]
    click.echo("\n".join(lines))


def show_files(linter, paths) -> int:
    """``--show-files``: the files a run would lint, sorted, one per line; a path that is missing
    or cannot be read is an error on standard error (exit 2), as in a run."""
    found = discover(list(paths or (".",)), linter.discovery_settings())
    for path in sorted(found.files):
        click.echo(path)
    for report in found.error_reports():
        for error in report.errors:
            click.echo(error.render(), err=True)
    return EXIT_ERROR if found.missing or found.unreadable else EXIT_CLEAN


WATCH_INTERVAL_S = 0.5  # how often --watch looks at the files (polling: no extra dependency)


def watched_state(paths, settings: Settings, linter) -> dict:
    """What --watch compares: (modification time, size) of every file a run would lint, of the
    configuration file, and of the configuration files that could appear in the folders given."""
    candidates = set(discover(list(paths), linter.discovery_settings()).files)
    if settings.config_path:
        candidates.add(settings.config_path)
    for path in paths:
        folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
        candidates.update(os.path.join(folder, name) for name in ("pyproject.toml", "reprolint.toml"))
    state = {}
    for path in candidates:
        try:
            status = os.stat(path)
            state[path] = (status.st_mtime_ns, status.st_size)
        except OSError:
            state[path] = None
    return state


def watch(paths, resolve, options: dict, quiet: bool, unsafe_fixes: bool, lint, interval: float = WATCH_INTERVAL_S,
          rounds=None) -> int:
    """``--watch``: lint, print the report, wait until a linted file or the configuration changes,
    and again, until Ctrl-C (exit 0). The configuration is read again each time; one that has
    become invalid is reported and waited out. ``rounds``: stop after that many lints (tests)."""
    import time

    from reprolint.engine import Linter

    click.echo("Starting reprolint in watch mode; Ctrl-C stops it.", err=True)
    done = 0
    watched = None  # (settings, linter) of the last valid configuration: what to watch
    try:
        while rounds is None or done < rounds:
            try:
                settings = resolve()
            except SystemExit:  # a configuration error, already printed: wait for its fix
                settings = None
            if settings is not None:
                watched = (settings, Linter(settings))
                emit(lint(watched[1]), options, quiet, unsafe_fixes)
            done += 1
            if rounds is not None and done >= rounds:
                break
            click.echo(f"[{time.strftime('%H:%M:%S')}] Watching for file changes.", err=True)
            before = watched_state(paths, *watched)
            while watched_state(paths, *watched) == before:
                time.sleep(interval)
            click.echo(f"[{time.strftime('%H:%M:%S')}] File change detected; linting again.", err=True)
    except KeyboardInterrupt:
        pass
    return EXIT_CLEAN


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
    for selector in (cli.get("select", ()) + cli.get("ignore", ()) + cli.get("extend_select", ())
                     + (cli.get("fixable") or ()) + (cli.get("unfixable") or ())):
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
    config_values = options.get("config_file") or ()
    config_files = [value for value in config_values if not is_override(value)]
    if len(config_files) > 1:
        raise click.UsageError(f"--config names {len(config_files)} files ({', '.join(config_files)}); give "
                               "one file, and settings as --config KEY=VALUE")
    try:
        overrides = {}
        for value in config_values:
            if is_override(value):
                overrides.update(parse_override(value))
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    search_from = [options["stdin_filename"]] if reads_stdin(paths, options) and options.get("stdin_filename") else paths
    try:
        settings = resolve_settings(search_from or (".",), cli, config_path=config_files[0] if config_files else None,
                                    isolated=bool(options.get("isolated")), overrides=overrides)
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
