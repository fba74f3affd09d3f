"""The ``reprolint`` command line.

``reprolint [PATHS]...`` lints (it is short for ``reprolint check``); ``reprolint rule CODE``
explains a rule.
"""

from __future__ import annotations

import sys

import click

from reprolint import __version__
from reprolint.registry import UnknownSelector, expand_selector, resolve_rule
from reprolint.rules import ALL_RULES
from reprolint.settings import Settings

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


@main.command(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default="0: one per CPU",
              help="Lint in this many processes. The output is the same for any number.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="REPROLINT_CACHE_DIR",
              show_envvar=True, help="Where the cache lives (default: .reprolint_cache).")
def check(paths, select, ignore, extend_select, determinism_helpers, seeding_helpers, exit_zero, quiet,
          jobs, no_cache, cache_dir):
    """Lint PATHS (files or folders; default: the current folder) for irreproducible code.

    \b
    Examples:
      reprolint src/                      lint a folder
      reprolint train.py --select RPL1    only the generator rules
      reprolint . --ignore RPL301         everything but one rule
      reprolint rule RPL101               explain a rule

    \b
    Exit status:
      0  nothing found
      1  findings reported
      2  usage error, or a file that could not be read or parsed
    """
    from reprolint.engine import Linter
    from reprolint.reporters import text

    settings = Settings(
        select=_split(select),
        ignore=_split(ignore),
        extend_select=_split(extend_select),
        determinism_helpers=_split(determinism_helpers),
        seeding_helpers=_split(seeding_helpers),
    )
    try:
        for selector in settings.select + settings.ignore + settings.extend_select:
            expand_selector(selector)
    except UnknownSelector as exc:
        raise click.UsageError(str(exc)) from None

    from reprolint.cache import Cache, default_cache_dir
    from reprolint.parallel import default_jobs

    linter = Linter(settings)
    cache = None if no_cache else Cache.for_settings(default_cache_dir(cache_dir), settings)
    run = linter.lint_paths(paths or (".",), jobs=jobs or default_jobs(), cache=cache,
                            progress=sys.stderr.isatty())
    if cache is not None and cache.write_failed:
        click.echo(f"warning: could not write the cache: {cache.write_failed}", err=True)
    if run.checked == 0 and not run.errors:
        click.echo(f"warning: no Python files found under {', '.join(paths or ('.',))}", err=True)
        sys.exit(EXIT_CLEAN)
    output = text.render(run)
    if quiet:
        output = "".join(line + "\n" for line in output.splitlines()[:-1])
    click.echo(output, nl=False)
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
