"""The ``--verify`` options of ``reprolint check``; kept here so cli.py only wires them in.

Importing this module imports neither numpy nor torch.
"""

from __future__ import annotations

import sys

import click

VERIFY_HELP = ("Also RUN the flagged files to measure the drift: this EXECUTES YOUR CODE (in "
               "subprocesses, with a timeout), so only use it on code you trust. Never implied "
               "by plain lint or by the pre-commit hooks.")


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
        click.option("--verify-timeout", type=click.FloatRange(min=0, min_open=True), default=300,
                     show_default=True, metavar="SECONDS",
                     help="With --verify: kill a run (and everything it started) after this long."),
        # Shared with the lint cache's --no-cache where the command has one already.
        click.option("--no-cache", "no_cache", is_flag=True, help="With --verify: neither read nor write cached verdicts."),
        click.option("--verbose", is_flag=True,
                     help="With --verify: show each run's output and tracebacks on stderr."),
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


VERIFY_PARAMETERS = ("verify", "verify_device", "stand_in", "allow_download", "verify_timeout", "no_cache",
                     "verbose")


def pop_verify_options(parameters: dict) -> dict:
    """Take this module's options out of the command's keyword arguments (``no_cache`` may be
    the lint cache's own parameter of the command, and then arrives separately)."""
    return {name: parameters.pop(name, False) for name in VERIFY_PARAMETERS}


def run_verify(run, settings, verify, verify_device, stand_in, allow_download, verify_timeout,
               no_cache, verbose, cache_dir=None) -> None:
    from reprolint.verify import VerifyOptions, parse_devices, verify_run

    try:
        devices = parse_devices(verify_device)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from None
    progress = _Progress() if sys.stderr.isatty() else None
    options = VerifyOptions(
        devices=devices, stand_in=stand_in, allow_download=allow_download, timeout=verify_timeout,
        verbose=verbose, use_cache=not no_cache, settings=settings, cache_dir=cache_dir,
        progress=progress, log=lambda text: click.echo(text, err=True),
    )
    verify_run(run, options)


class _Progress:
    """One self-overwriting status line on a terminal."""

    def __init__(self) -> None:
        self.width = 0

    def __call__(self, text: str) -> None:
        text = text[:119]
        sys.stderr.write("\r" + text.ljust(self.width) + ("\r" if not text else ""))
        sys.stderr.flush()
        self.width = len(text)
