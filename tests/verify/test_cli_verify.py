"""`reprolint check --verify` from the command line: options, output, cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import reprolint_command, run_cli

UNSEEDED = '''\
"""Unconditional DDPM sampling without a generator."""
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(num_inference_steps=2).images[0]
'''


def test_help_says_verify_executes_code():
    result = run_cli("check", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--verify" in text and "EXECUTES YOUR CODE" in text
    for option in ("--device", "--stand-in", "--allow-download", "--verify-timeout", "--verbose"):
        assert option in text


def test_plain_lint_does_not_verify(tmp_path):
    (tmp_path / "s.py").write_text(UNSEEDED)
    result = run_cli(str(tmp_path / "s.py"))
    assert result.returncode == 1
    assert "RPL101" in result.stdout and "verify:" not in result.stdout
    assert not (tmp_path / ".reprolint_cache").exists()


def test_unknown_device_is_a_usage_error(tmp_path):
    (tmp_path / "s.py").write_text(UNSEEDED)
    result = run_cli(str(tmp_path / "s.py"), "--verify", "--device", "tpu")
    assert result.returncode == 2
    assert "tpu" in result.stderr


@pytest.mark.slow
def test_verify_prints_the_verdict_and_caches_it(tmp_path):
    pytest.importorskip("diffusers")
    script = tmp_path / "sample.py"
    script.write_text(UNSEEDED)
    cache = tmp_path / "cache"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "REPROLINT_CACHE_DIR": str(cache), "TMPDIR": str(temporary)}
    command = reprolint_command() + [str(script), "--verify", "--device", "cpu", "--verify-timeout", "120",
                                     "--verbose"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert first.returncode == 1, first.stderr
    lines = first.stdout.splitlines()
    index = next(i for i, line in enumerate(lines) if "RPL101" in line)
    assert lines[index + 1].startswith("  verify: drift confirmed on cpu: max|Δ|=")
    assert lines[index + 1].endswith("(stand-in model)")
    assert "runner started" in first.stderr  # --verbose shows the runs
    assert "original copy, run 1" in first.stderr
    assert list(temporary.iterdir()) == []  # instrumented copies and captures are removed
    assert (cache / ".gitignore").read_text().strip() == "*"
    stored = list((cache / "verify").glob("*.json"))
    assert len(stored) == 1
    assert json.loads(stored[0].read_text())["status"] == "confirmed"

    second = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert "runner started" not in second.stderr  # answered from the cache: nothing ran
    # The same verdict, and it says where it came from.
    assert "cached" not in first.stdout
    assert second.stdout == first.stdout.replace(
        lines[index + 1], lines[index + 1] + " (cached verdict; --no-cache runs it again)")


def test_verify_with_fix_is_a_usage_error(tmp_path):
    (tmp_path / "s.py").write_text(UNSEEDED)
    result = run_cli(str(tmp_path / "s.py"), "--verify", "--fix")
    assert result.returncode == 2
    assert "--verify" in result.stderr and "--fix" in result.stderr


def test_pre_commit_hooks_never_verify():
    import pathlib

    hooks = pathlib.Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
    assert hooks.exists()
    assert "--verify" not in hooks.read_text()


def test_verify_options_share_an_option_the_command_already_has():
    import click

    from reprolint.verify.cli import pop_verify_options, verify_options

    @click.command()
    @verify_options
    @click.option("--no-cache", is_flag=True, help="the lint cache's own")
    def command(no_cache, **rest):
        pass

    names = [param.name for param in command.params]
    assert names.count("no_cache") == 1 and "verify" in names
    assert pop_verify_options({"verify": True})["no_cache"] is False
