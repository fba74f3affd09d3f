"""The ``--verify`` options of ``reprolint check``; kept here so cli.py only wires them in.

Importing this module imports neither numpy nor torch.
"""

from __future__ import annotations

import contextlib
import signal
import importlib.util
import sys
import threading

import click
from click.core import ParameterSource

VERIFY_HELP = ("Also RUN the flagged files to measure the drift: this EXECUTES YOUR CODE (in "
               "subprocesses, with a timeout), so only use it on code you trust. Runs see your "
               "files as copies in a scratch folder (see --keep-outputs for what is isolated). "
               "Never implied by plain lint or by the pre-commit hooks.")


def verify_options(command):
    options = [
        click.option("--verify", is_flag=True, help=VERIFY_HELP),
        click.option("--device", "verify_device", metavar="DEVICES",
                     help="With --verify: devices to run on, comma-separated (cpu,cuda). "
                          "Default: cpu, and cuda when available."),
        click.option("--stand-in", "stand_in", type=click.Choice(["auto", "never"]), default="auto",
                     show_default=True,
                     help="With --verify: replace a checkpoint that is not available locally by a "
                          "tiny random stand-in of the same pipeline class (auto), or require the "
                          "real model (never)."),
        click.option("--allow-download", is_flag=True,
                     help="With --verify: let the script download models (default: "
                          "HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1)."),
        click.option("--keep-outputs", "keep_outputs", metavar="DIR",
                     type=click.Path(file_okay=False, writable=True),
                     help="With --verify: keep the files each run wrote (images it saved, say) in "
                          "DIR/<script>/<device>-<copy>-run<N>/. Without it they are removed: runs "
                          "work in a scratch mirror of the script's folder (no .git); a Python write "
                          "through a linked large file copies it into scratch first, and a write by "
                          "absolute path into your tree is refused. Native code and subprocesses "
                          "writing through links are not intercepted (README: Safety model)."),
        click.option("--verify-report", "verify_report", metavar="DIR",
                     type=click.Path(file_okay=False, writable=True),
                     help="With --verify: write an HTML report to DIR/index.html: per finding, the "
                          "flagged line, run A and run B side by side, a heat map of their "
                          "difference, the fixed run and the figures. Self-contained (no network)."),
        click.option("--verify-timeout", type=click.FloatRange(min=0, min_open=True), default=300,
                     show_default=True, metavar="SECONDS",
                     help="With --verify: kill a run (and everything it started) after this long."),
        # Shared with the lint cache's --no-cache where the command has one already.
        click.option("--no-cache", "no_cache", is_flag=True, help="With --verify: neither read nor write cached verdicts."),
        click.option("--verbose", is_flag=True,
                     help="With --verify: show each run's output and tracebacks on stderr. "
                          "Always: the traceback of an internal error."),
    ]
    existing = {param.name for param in getattr(command, "__click_params__", [])}
    for option in reversed(options):
        if _option_name(option) not in existing:
            command = option(command)
    return command


def _option_name(decorator) -> str:
    """The parameter name a click.option decorator declares."""
    def probe():
        pass
    decorator(probe)
    return probe.__click_params__[-1].name


VERIFY_PARAMETERS = ("verify", "verify_device", "stand_in", "allow_download", "keep_outputs", "verify_report",
                     "verify_timeout", "no_cache", "verbose")

# Where ScriptArgumentsCommand leaves the arguments after `--` for the scripts.
SCRIPT_ARGUMENTS = "reprolint.verify.script_arguments"


class ScriptArgumentsCommand(click.Command):
    """``reprolint --verify script.py -- --prompt x``: with ``--verify``, what follows ``--`` is
    the scripts' command line, not more paths. Without ``--verify``, ``--`` keeps its usual
    meaning (everything after it is a path, even ``-odd.py``)."""

    def parse_args(self, ctx, args):
        if "--" in args and "--verify" in args[:args.index("--")]:
            split = args.index("--")
            ctx.meta[SCRIPT_ARGUMENTS] = tuple(args[split + 1:])
            args = args[:split]
        return super().parse_args(ctx, args)


# The options that only mean something with --verify, and their flags. Given without it they would
# be ignored silently, so they are usage errors.
VERIFY_ONLY = {"verify_device": "--device", "stand_in": "--stand-in", "allow_download": "--allow-download",
               "keep_outputs": "--keep-outputs", "verify_report": "--verify-report",
               "verify_timeout": "--verify-timeout"}
# What the parent process (numpy) and the runs (torch) cannot do without; both come with the extra.
VERIFY_NEEDS = ("numpy", "torch")
VERIFY_INSTALL_HINT = 'pip install "reprolint-torch[verify]"'


def check_verify_usage(verify: dict) -> None:
    """Before anything is linted: options of --verify given without it are usage errors, and
    --verify without its extra exits 2 with one line naming the extra (not a traceback)."""
    context = click.get_current_context()
    if not verify["verify"]:
        given = [flag for name, flag in VERIFY_ONLY.items()
                 if context.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)]
        if given:
            raise click.UsageError(f"{', '.join(given)} only {'applies' if len(given) == 1 else 'apply'} with --verify (which runs the flagged "
                                   "files); add --verify or drop it")
        return
    missing = [name for name in VERIFY_NEEDS if not _importable(name)]
    if missing:
        click.echo(f"reprolint: error: --verify needs the `verify` extra ({' and '.join(missing)} missing): "
                   f"{VERIFY_INSTALL_HINT}", err=True)
        sys.exit(2)
    from reprolint.verify import parse_devices

    try:
        parse_devices(verify["verify_device"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from None


def _importable(name: str) -> bool:
    """Whether ``name`` could be imported, without importing it (torch takes seconds)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module blocked in sys.modules
        return False


def pop_verify_options(parameters: dict) -> dict:
    """Take this module's options out of the command's keyword arguments (``no_cache`` may be
    the lint cache's own parameter of the command, and then arrives separately)."""
    return {name: parameters.pop(name, False) for name in VERIFY_PARAMETERS}


def run_verify(run, settings, verify, verify_device, stand_in, allow_download, keep_outputs, verify_report,
               verify_timeout, no_cache, verbose, cache_dir=None) -> int:
    """Verify ``run``'s findings in place; returns 0, or the exit status when Ctrl-C (SIGINT)
    or SIGTERM stopped it (the caller still prints the report, then exits with it)."""
    from reprolint.verify import VerifyOptions, parse_devices, verify_run

    try:
        devices = parse_devices(verify_device)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from None
    progress = _ProgressBar() if sys.stderr.isatty() else None
    options = VerifyOptions(
        devices=devices, stand_in=stand_in, allow_download=allow_download, timeout=verify_timeout,
        verbose=verbose, use_cache=not no_cache, settings=settings, cache_dir=cache_dir,
        progress=progress, file_started=progress.file_started if progress else None,
        log=lambda text: click.echo(text, err=True),
        script_args=_script_arguments(), keep_outputs=keep_outputs, report_dir=verify_report,
    )
    if keep_outputs:
        # After the report (click closes the command's context once it has exited).
        _at_exit(lambda: click.echo(f"verify: the scripts' output files are in {keep_outputs}", err=True))
    try:
        with _terminate_as_interrupt():
            report = verify_run(run, options)
        if report:
            _at_exit(lambda: click.echo(f"verify: report written to {report}", err=True))
    except KeyboardInterrupt as exc:
        # verify_run's cleanup has already killed the runs and removed the temporary files.
        how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        done, total = mark_unverified(run, how)
        click.echo(f"reprolint: interrupted ({how}): {done} of {total} findings verified; the rest are "
                   "reported unverified", err=True)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (``timeout``, CI cancellation, ``docker stop``): stop as Ctrl-C does."""


@contextlib.contextmanager
def _terminate_as_interrupt():
    """While the scripts run, SIGTERM stops the runs, removes the scratch folder and reports
    what was found so far, as Ctrl-C does, instead of ending reprolint on the spot."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _script_arguments():
    context = click.get_current_context(silent=True)
    return context.meta.get(SCRIPT_ARGUMENTS) if context is not None else None


def _at_exit(callback) -> None:
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(callback)
    else:
        callback()


# The exit status of a run stopped by Ctrl-C (SIGINT) or SIGTERM, as shells report it: 128 + N.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def mark_unverified(run, how: str = "Ctrl-C") -> tuple:
    """Give every verifiable finding without a verdict an ``interrupted`` one; return (verified,
    verifiable)."""
    from reprolint.verify.declarations import verifiable

    findings = verifiable(run.findings)
    done = 0
    for finding in findings:
        if "verification" in finding.extra:
            done += 1
        else:
            finding.extra["verification"] = {"status": "interrupted",
                                             "summary": f"not verified: interrupted ({how})"}
    return done, len(findings)


class _ProgressBar:
    """click's progress bar on a terminal: files verified of those to verify, and what runs now
    (the file, its first finding, then the copy and run in progress)."""

    def __init__(self) -> None:
        self.bar = None
        self.file = ""

    def file_started(self, done: int, total: int, text: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="verify", file=sys.stderr, show_pos=True,
                                         show_eta=False, item_show_func=lambda item: item)
            self.bar.__enter__()
        self.file = text
        self.bar.update(done - self.bar.pos, current_item=text)
        self.bar.current_item = text
        self.bar.render_progress()

    def __call__(self, text: str) -> None:
        if self.bar is None:
            if text:  # before the first file: a plain status line
                sys.stderr.write("\r" + text[:119])
                sys.stderr.flush()
            return
        if not text:  # the end: complete the bar and leave the line
            self.bar.update(self.bar.length - self.bar.pos, current_item="done")
            self.bar.__exit__(None, None, None)
            self.bar = None
            return
        # `verify path (codes) on cpu: original copy, run 1 of 2` -> `path ... run 1 of 2`
        detail = text.split(": ", 1)[1] if ": " in text else text
        self.bar.current_item = f"{self.file}: {detail}"[:80]
        self.bar.render_progress()
