"""The ``reprolint`` command line.

``reprolint [PATHS]...`` lints (it is short for ``reprolint check [PATHS]...``); ``reprolint rule
CODE`` explains a rule. A first path named like a subcommand (``clean``, ``rule``) is the
subcommand: ``reprolint check clean`` lints a folder of that name.
"""

from __future__ import annotations

import difflib
import os
import sys

import click

from reprolint import __version__
from reprolint import cli_options
from reprolint.cache import CacheError, clean as remove_cache, default_cache_dir
from reprolint.cli_options import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, split_values
from reprolint.engine import Linter
from reprolint.fix.command import Fixer, fix_options
from reprolint.parallel import lint_paths_fast, speed_options
from reprolint.registry import complete_selectors, did_you_mean, resolve_rule
from reprolint.reporters.text import fix_only_summary, fix_summary, fixes_listing, without_findings
from reprolint.verify.cli import (EXIT_INTERRUPTED, ScriptArgumentsCommand, check_verify_usage, pop_verify_options,
                                  run_verify, verify_options)


# Set when `reprolint PATHS` stands for `reprolint check PATHS`: errors then show the command the
# user typed (`Usage: reprolint [OPTIONS] [PATHS]...`), not a `check` they never wrote.
IMPLICIT_CHECK = "reprolint.implicit_check"


def _refuse_misspelt_subcommand(commands, args) -> None:
    """`reprolint rules RPL101`: a first word that is no path but one letter off a subcommand is a
    typo, not two files to lint (which would end in two "no such file" errors)."""
    if not args or args[0].startswith("-") or os.path.lexists(args[0]):
        return
    close = difflib.get_close_matches(args[0], list(commands), n=1, cutoff=0.75)
    if close:
        raise click.UsageError(f"no such command or path `{args[0]}` (did you mean `reprolint {close[0]}`?)")


class CheckContext(click.Context):
    """The context of `check`; run implicitly, its command path is the group's (`reprolint`)."""

    @property
    def command_path(self) -> str:
        if self.meta.get(IMPLICIT_CHECK) and self.parent is not None:
            return self.parent.command_path
        return super().command_path


class CheckCommand(ScriptArgumentsCommand):
    context_class = CheckContext


class DefaultCommandGroup(click.Group):
    """A group whose first argument may be a path: ``reprolint src/`` means ``reprolint check src/``."""

    default_command = "check"

    def parse_args(self, ctx, args):
        if ctx.resilient_parsing and not args:
            # Shell completion of the first word: the group itself answers (``shell_complete``).
            return super().parse_args(ctx, args)
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h", "--version", "-V"):
            if not ctx.resilient_parsing:
                _refuse_misspelt_subcommand(self.commands, args)
            ctx.meta[IMPLICIT_CHECK] = True
            args = [self.default_command, *args]
        elif args[0] in self.commands and args[0] != self.default_command and os.path.lexists(args[0]):
            # `reprolint clean` next to a folder named `clean`: the subcommand wins, as documented;
            # say so, since the user may have meant the folder.
            click.echo(f"note: `{args[0]}` is a reprolint subcommand and also a path here; to lint the "
                       f"path, run `reprolint check {args[0]}`", err=True)
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx, incomplete):
        """`reprolint <TAB>`: the subcommands and files (paths for the implicit `check`), and for
        `reprolint --<TAB>` check's options as well as the group's."""
        from click.shell_completion import CompletionItem

        items = super().shell_complete(ctx, incomplete)
        if incomplete.startswith("-"):
            known = {item.value for item in items}
            check = self.commands[self.default_command]
            items += [item for item in check.shell_complete(ctx, incomplete) if item.value not in known]
        else:
            items.append(CompletionItem(incomplete, type="file"))
        return items

    def format_help(self, ctx, formatter):
        check = self.commands[self.default_command]
        with click.Context(check, info_name=ctx.info_name, parent=ctx.parent) as check_ctx:
            check.format_help(check_ctx, formatter)
        self.format_commands(ctx, formatter)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="reprolint")
def main() -> None:
    """reprolint: find the code that makes PyTorch and diffusers results irreproducible."""


@main.command(cls=CheckCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, metavar="CODES", shell_complete=complete_selectors,
              help="Only these rules: codes (RPL101), prefixes (RPL1), names (generator-reused) or "
                   "ALL, comma-separated. Default-off rules run only when selected.")
@click.option("--ignore", multiple=True, metavar="CODES", shell_complete=complete_selectors,
              help="Skip these rules (same forms as --select).")
@click.option("--extend-select", multiple=True, metavar="CODES", shell_complete=complete_selectors,
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
@cli_options.inspection_options
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
      reprolint . --add-noqa              grandfather today's findings with # noqa comments
      reprolint . --show-settings         which configuration applies, and what it enables
      reprolint . --watch                 lint again on every change
      reprolint check clean               lint a path named like a subcommand
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
    verify = pop_verify_options(ecosystem)
    check_verify_usage(verify)
    fixable = split_values(ecosystem.pop("fixable")) or None
    unfixable = split_values(ecosystem.pop("unfixable")) or None

    def resolve_settings():
        return cli_options.settings_from(
            paths, ecosystem,
            select=split_values(select),
            ignore=split_values(ignore),
            extend_select=split_values(extend_select),
            determinism_helpers=split_values(determinism_helpers) or None,
            seeding_helpers=split_values(seeding_helpers) or None,
            fix_seed=fix_seed,
            fixable=fixable,
            unfixable=unfixable,
        )

    settings = resolve_settings()

    cli_options.refuse_report_over_input(ecosystem, paths)  # before any work: named files
    linter = Linter(settings)
    stdin = cli_options.reads_stdin(paths, ecosystem)
    if ecosystem.pop("show_settings"):
        cli_options.show_settings(settings, linter.selected, paths)
        sys.exit(EXIT_CLEAN)
    if ecosystem.pop("show_files"):
        sys.exit(cli_options.show_files(linter, [ecosystem.get("stdin_filename") or "-"] if stdin else paths))
    if verify["verify"] and (fix or diff or stdin):
        raise click.UsageError("--verify runs files as they are: it cannot be combined with --fix, "
                               "--diff or standard input")
    add_noqa = ecosystem.pop("add_noqa")
    if add_noqa and (fix or diff or stdin or verify["verify"]):
        raise click.UsageError("--add-noqa writes `# noqa` comments into the files found: it cannot be "
                               "combined with --fix, --diff, --verify or standard input")
    fix_only, exit_non_zero_on_fix, show_fixes = (ecosystem.pop(name) for name in
                                                  ("fix_only", "exit_non_zero_on_fix", "show_fixes"))
    if exit_non_zero_on_fix and not (fix or fix_only):
        raise click.UsageError("--exit-non-zero-on-fix only applies with --fix or --fix-only")
    if show_fixes and not (fix or fix_only or diff):
        raise click.UsageError("--show-fixes only applies with --fix, --fix-only or --diff")
    fix = fix or fix_only
    if ecosystem.pop("watch"):
        if fix or diff or stdin or add_noqa or verify["verify"]:
            raise click.UsageError("--watch lints again whenever a file changes; it cannot be combined with "
                                   "--fix, --fix-only, --diff, --add-noqa, --verify or standard input")
        sys.exit(cli_options.watch(paths or (".",), resolve_settings, ecosystem, quiet, unsafe_fixes,
                                   lambda linter: lint_paths_fast(linter, paths or (".",), jobs, no_cache, cache_dir)))
    # --fix and --diff are the same run with another per-file step (fix, then write or diff).
    fixer = Fixer(linter, unsafe_fixes, diff, to_stdout=stdin, paths=paths or (".",)) if fix or diff else None
    if stdin:
        run = cli_options.lint_stdin(linter, settings, ecosystem, per_file=fixer,
                                     on_excluded=fixer.pass_through if fixer and not diff else None)
    else:
        run = lint_paths_fast(linter, paths or (".",), jobs, no_cache, cache_dir, per_file=fixer)
    if run.checked == 0 and not run.errors:  # nothing to lint, or everything given was excluded
        if not settings.force_exclude and not stdin:
            click.echo(f"warning: no Python files found under {', '.join(paths or ('.',))}", err=True)
        # json and the rest still print `[]` etc.; --fix still says it fixed nothing.
        if fixer is None and not cli_options.machine_readable(ecosystem):
            sys.exit(EXIT_CLEAN)
    cli_options.refuse_report_over_input(ecosystem, (report.path for report in run.files))  # found in folders
    if add_noqa:
        sys.exit(_add_noqa(run, linter, paths or (".",), exit_zero))
    interrupted = 0  # or the exit status of a --verify stopped by Ctrl-C or SIGTERM
    if verify["verify"]:
        # One cache folder and one --no-cache for lint results and verify verdicts.
        interrupted = run_verify(run, settings, **{**verify, "no_cache": no_cache}, cache_dir=cache_dir)
    if ecosystem.get("output_format") == "rdjson" and fixer is None and not stdin:
        from reprolint.fix.one_fix import attach_suggestions

        attach_suggestions(run, linter, unsafe_fixes)  # reviewdog offers each fix as a suggestion
    summary_line = fix_summary(run, fixer.fixed, diff, unsafe_fixes) if fixer is not None else ""
    to_stderr = fixer is not None and fixer.reports_to_stderr
    if show_fixes:
        click.echo(fixes_listing(fixer.fixed_codes, diff), nl=False, err=to_stderr)
    if fix_only:
        # What is left is not reported (nor counted in the exit status); what could not be read,
        # parsed or written still is.
        run = without_findings(run)
        summary_line = fix_only_summary(run, fixer.fixed, diff)
    cli_options.emit(run, ecosystem, quiet, unsafe_fixes, summary_line, to_stderr=to_stderr)
    if verify["verbose"]:
        cli_options.echo_tracebacks(run)
    if interrupted:
        sys.exit(interrupted)
    status = cli_options.exit_status(run, exit_zero, would_change=bool(diff and fixer.changed_files))
    if status == EXIT_CLEAN and exit_non_zero_on_fix and fixer.changed_files and not exit_zero:
        status = EXIT_FINDINGS
    sys.exit(status)


def _add_noqa(run, linter, paths, exit_zero: bool) -> int:
    """Write the directives, then report what could not be suppressed and the count, as ruff
    does (`Added 3 noqa directives.`). Exit as a run would with what is left."""
    from reprolint.findings import FileReport, RunReport
    from reprolint.fix.add_noqa import add_noqa

    result = add_noqa(run, linter, paths)
    for error in run.errors:
        click.echo(error.render(), err=True)
    for finding in result.remaining:
        click.echo(f"{finding.path}:{finding.start.line}:{finding.start.column}: {finding.code} could not "
                   "be suppressed here (a notebook, Markdown or dependency file, or a line that ends "
                   "inside a string or with `\\`)", err=True)
    noun = "directive" if result.added == 1 else "directives"
    click.echo(f"Added {result.added} noqa {noun}.", err=True)
    remaining = {id(finding) for finding in result.remaining}
    left = RunReport(files=[FileReport(report.path, findings=[f for f in report.findings if id(f) in remaining],
                                       errors=report.errors) for report in run.files], checked=run.checked)
    return cli_options.exit_status(left, exit_zero)


@main.command()
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="REPROLINT_CACHE_DIR",
              show_envvar=True, help="The cache to remove (default: .reprolint_cache).")
def clean(cache_dir):
    """Remove the cache folder that `reprolint check` fills.

    Only reprolint's own entries are removed; a folder holding anything else is never deleted
    (and one without reprolint's CACHEDIR.TAG is refused outright)."""
    directory = default_cache_dir(cache_dir)
    try:
        result = remove_cache(directory)
    except CacheError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    if result is None:
        click.echo(f"No cache at {directory}")
    elif result.removed_folder:
        click.echo(f"Removed {directory}")
    else:
        kept = ", ".join(result.kept[:3]) + (f" and {len(result.kept) - 3} more" if len(result.kept) > 3 else "")
        click.echo(f"Removed reprolint's entries from {directory}; kept the folder and what reprolint "
                   f"did not make there ({kept})")


@main.command()
def server():
    """Run the language server (LSP over stdin/stdout) for editors.

    \b
    Diagnostics as you type, quick fixes (the same fixes as --fix), `# noqa` actions and the rule
    page on hover, for Python files, notebooks and (when enabled) Markdown. Settings come from
    the workspace's pyproject.toml / reprolint.toml. Needs the `server` extra:
      pip install "reprolint-torch[server]"
    Editor setup (VS Code, Neovim, Helix, ...): docs/editors.md.
    """
    from reprolint.server import ServerUnavailable, start_io

    try:
        start_io()
    except ServerUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("selector", required=False, shell_complete=complete_selectors)
@click.option("--all", "show_all", is_flag=True, help="List every rule with its code, name and default.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the rule's page (with --all: one line per rule); json: an object per rule "
                   "(with --all: a list), with its code, name, summary, default, fix and explanation.")
def rule(selector, show_all, output_format):
    """Explain a rule: `reprolint rule RPL101` or `reprolint rule generator-reused`."""
    import json

    from reprolint.docs import rule_markdown, rule_object
    from reprolint.rules import ALL_RULES

    if show_all or selector is None:
        if output_format == "json":
            click.echo(json.dumps([rule_object(rule_class) for rule_class in ALL_RULES], indent=2))
            return
        for rule_class in ALL_RULES:
            default = "on " if rule_class.default else "off"
            fix = rule_class.fix_safety.value if rule_class.fix_safety else "none"
            click.echo(f"{rule_class.code}  {default}  fix:{fix:<6}  {rule_class.name}: {rule_class.summary}")
        return
    rule_class = resolve_rule(selector)
    if rule_class is None:
        raise click.UsageError(f"unknown rule `{selector}`{did_you_mean(selector)}; `reprolint rule --all` lists them")
    if output_format == "json":
        click.echo(json.dumps(rule_object(rule_class), indent=2))
    else:
        click.echo(rule_markdown(rule_class), nl=False)
