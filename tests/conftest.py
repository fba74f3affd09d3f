from __future__ import annotations

import textwrap
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests (tests/test_fuzz.py and others): a fixed example count and a per-example deadline
# keep CI fast and bound how long one input may take; `--hypothesis-profile=long` explores more.
# derandomize: CI runs the same examples every time, so a red run is reproducible and a green one
# is not luck; the long profile (and local runs with --hypothesis-seed) hunt further.
hypothesis_settings.register_profile("ci", max_examples=40, deadline=5000, print_blob=True, derandomize=True)
hypothesis_settings.register_profile("long", max_examples=3000, deadline=20000, print_blob=True)
hypothesis_settings.load_profile("ci")

from reprolint.engine import Linter
from reprolint.registry import select_rules
from reprolint.settings import Settings

# Linted material, not tests: fixture projects keep test modules of their own
# (tests/projects/training_launcher/tests/test_unet.py) for the rules to read.
collect_ignore_glob = ["projects/*", "corpus/*", "fixes/*", "verify_scripts/*", "data/*"]


def lint(code: str, select: str = "ALL", path: str = "example.py", **settings):
    """Findings for a code sample (dedented), with the given rules selected."""
    linter = Linter(Settings(select=tuple(select.split(",")), **settings))
    report = linter.lint_source(textwrap.dedent(code).lstrip("\n"), path)
    assert not report.errors, report.errors
    return report.findings


def codes_at(findings) -> list:
    return [(f.code, f.start.line, f.start.column) for f in findings]


def codes(code: str, select: str = "ALL", **settings) -> list:
    """(code, line) of each finding in a code sample."""
    return [(c, line) for c, line, _ in codes_at(lint(code, select, **settings))]


def lines(code: str, select: str, **settings) -> list:
    """The line of each finding in a code sample."""
    return [f.start.line for f in lint(code, select=select, **settings)]


def assert_found(select: str, code: str, expected: list) -> None:
    """``expected``: the (line, column) of each finding, or only their lines."""
    found = lint(code, select=select)
    if expected and isinstance(expected[0], tuple):
        assert [(f.start.line, f.start.column) for f in found] == expected
    else:
        assert [f.start.line for f in found] == expected


def reprolint_command() -> list:
    """The installed command, as a user runs it."""
    exe = shutil.which("reprolint", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "reprolint"]


def run_cli(*args, cwd=None, input=None, env=None) -> subprocess.CompletedProcess:
    """The command in a subprocess; ``env`` is added to this process's environment."""
    return subprocess.run(reprolint_command() + list(args), cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env} if env else None)


@pytest.fixture
def all_rules():
    return select_rules(select=("ALL",))


BAD_PIPELINE = """\
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("a photo of a cat").images[0]
"""
# Where BAD_PIPELINE's one RPL101 finding is.
BAD_PIPELINE_FINDING = ("RPL101", 4, 9)


def invoke(*args, cwd=None, input=None, env=None):
    """Run the command in-process (click's CliRunner) from ``cwd``; fast enough to use freely."""
    from click.testing import CliRunner

    from reprolint.cli import main

    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)
