"""The ``reprolint`` command line.

``reprolint [PATHS]...`` lints (it is short for ``reprolint check``); ``reprolint rule CODE``
explains a rule.
"""

from __future__ import annotations

import sys

import click

from reprolint import __version__
from reprolint import cli_options
from reprolint.fix.command import fix_options
from reprolint.parallel import lint_paths_fast, speed_options
from reprolint.registry import resolve_rule
from reprolint.rules import ALL_RULES
from reprolint.verify.cli import (EXIT_INTERRUPTED, ScriptArgumentsCommand, pop_verify_options, run_verify,
                                  verify_options)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values) -> tuple:
    """``--select RPL101,RPL102 --select RPL3`` -> ("RPL101", "RPL102", "RPL3")."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


class DefaultCommandGroup(click.Group):
    """A group whose first argument may be a path: ``reprolint src/`` means ``reprolint check src/``."""

    default_command = "check"

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        check = self.commands[self.default_command]
        with click.Context(check, info_name=ctx.info_name, parent=ctx.parent) as check_ctx:
            check.format_help(check_ctx, formatter)
        self.format_commands(ctx, formatter)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reprolint")
def main() -> None:
    """reprolint: find the code that makes PyTorch and diffusers results irreproducible."""


@main.command(cls=ScriptArgumentsCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules: codes (RPL101), prefixes (RPL1), names (generator-reused) or "
                   "ALL, comma-separated. Default-off rules run only when selected.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules (same forms as --select).")
@click.option("--extend-select", multiple=True, metavar="CODES",
              help="Add these rules to the default (or --select) set.")
@click.option("--determinism-helpers", multiple=True, metavar="NAMES",
              help="Your own functions that set up determinism (e.g. myproj.utils.make_deterministic), "
                   "comma-separated; they count as determinism setup for RPL301/RPL302/RPL305.")
@click.option("--seeding-helpers", multiple=True, metavar="NAMES",
              help="Your own functions that seed the random number generators, comma-separated.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings or errors are reported.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings and errors only, no summary line.")
@cli_options.config_options
@cli_options.output_options
@fix_options
@verify_options
@speed_options
def check(paths, select, ignore, extend_select, determinism_helpers, seeding_helpers, exit_zero, quiet,
          fix, unsafe_fixes, diff, fix_seed, jobs, no_cache, cache_dir, **ecosystem):
    """Lint PATHS (files or folders; default: the current folder) for irreproducible code.

    \b
    Examples:
      reprolint src/                      lint a folder
      reprolint train.py --select RPL1    only the generator rules
      reprolint . --ignore RPL301         everything but one rule
      reprolint . --output-format sarif -o reprolint.sarif
      cat nb.py | reprolint - --stdin-filename nb.py
      reprolint rule RPL101               explain a rule
      reprolint . --fix                   apply the safe fixes ([*] in the output)
      reprolint . --diff --unsafe-fixes   show every fix as a diff, write nothing
      reprolint --verify gen.py -- --prompt "a barn"   run gen.py (with these arguments) to measure the drift

    \b
    Settings come from [tool.reprolint] in the nearest pyproject.toml (or a reprolint.toml);
    command-line options override them. See docs/configuration.md.

    \b
    Exit status:
      0  nothing found (with --fix: nothing left after fixing)
      1  findings reported (with --fix: findings left; with --diff: also a file would change)
      2  usage error, bad configuration, or a file that could not be read, parsed or safely fixed
    """
    from reprolint.engine import Linter

    verify = pop_verify_options(ecosystem)
    settings = cli_options.settings_from(
        paths, ecosystem,
        select=_split(select),
        ignore=_split(ignore),
        extend_select=_split(extend_select),
        determinism_helpers=_split(determinism_helpers) or None,
        seeding_helpers=_split(seeding_helpers) or None,
        fix_seed=fix_seed,
    )

    linter = Linter(settings)
    if verify["verify"] and (fix or diff or cli_options.reads_stdin(paths, ecosystem)):
        raise click.UsageError("--verify runs files as they are: it cannot be combined with --fix, "
                               "--diff or standard input")
    if fix or diff:
        from reprolint.fix.command import run_fixes

        stdin = cli_options.reads_stdin(paths, ecosystem)
        sys.exit(run_fixes(linter, paths or (".",), unsafe_fixes, diff, quiet, exit_zero,
                           stdin_filename=(ecosystem.get("stdin_filename") or "-") if stdin else None,
                           emit=lambda run, line: cli_options.emit(run, ecosystem, quiet, unsafe_fixes, line)))
    if cli_options.reads_stdin(paths, ecosystem):
        run = cli_options.lint_stdin(linter, settings, ecosystem)
    else:
        run = lint_paths_fast(linter, paths or (".",), jobs, no_cache, cache_dir)
    if run.checked == 0 and not run.errors:  # nothing to lint, or everything given was excluded
        if not settings.force_exclude and not cli_options.reads_stdin(paths, ecosystem):
            click.echo(f"warning: no Python files found under {', '.join(paths or ('.',))}", err=True)
        if not cli_options.machine_readable(ecosystem):  # json and the rest still print `[]` etc.
            sys.exit(EXIT_CLEAN)
    interrupted = False
    if verify["verify"]:
        # One cache folder and one --no-cache for lint results and verify verdicts.
        interrupted = run_verify(run, settings, **{**verify, "no_cache": no_cache}, cache_dir=cache_dir)
    cli_options.emit(run, ecosystem, quiet, unsafe_fixes)
    if verify["verbose"]:
        cli_options.echo_tracebacks(run)
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if exit_zero:
        sys.exit(EXIT_CLEAN)
    if run.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if run.findings else EXIT_CLEAN)


@main.command()
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="REPROLINT_CACHE_DIR",
              show_envvar=True, help="The cache to remove (default: .reprolint_cache).")
def clean(cache_dir):
    """Remove the cache folder that `reprolint check` fills."""
    from reprolint.cache import CacheError, clean as remove_cache, default_cache_dir

    directory = default_cache_dir(cache_dir)
    try:
        removed = remove_cache(directory)
    except CacheError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"Removed {directory}" if removed else f"No cache at {directory}")


@main.command()
@click.argument("selector", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule with its code, name and default.")
def rule(selector, show_all):
    """Explain a rule: `reprolint rule RPL101` or `reprolint rule generator-reused`."""
    if show_all or selector is None:
        for rule_class in ALL_RULES:
            default = "on " if rule_class.default else "off"
            fix = rule_class.fix_safety.value if rule_class.fix_safety else "none"
            click.echo(f"{rule_class.code}  {default}  fix:{fix:<6}  {rule_class.name}: {rule_class.summary}")
        return
    rule_class = resolve_rule(selector)
    if rule_class is None:
        raise click.UsageError(f"unknown rule `{selector}`; `reprolint rule --all` lists them")
    from reprolint.docs import rule_markdown

    click.echo(rule_markdown(rule_class), nl=False)
