"""The source transforms --verify runs on (no torch needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from reprolint.engine import Linter
from reprolint.settings import Settings
from reprolint.verify import parse_devices
from reprolint.verify.compare import compare_outputs
from reprolint.verify.instrument import (ALONE, CAPTURE, PERTURB, REPEAT, RESEED, capture_ids_of, hand_calls_to,
                                         locate_targets, read_seed_as_zero, retarget_devices, seed_tests_of,
                                         wrap_captures, wrap_generator_arguments)

SCRIPT = textwrap.dedent(
    """\
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("sd").to("cuda")
    g = torch.Generator("cuda").manual_seed(0)
    first = pipe("a cat", generator=g).images[0]
    second = pipe(
        "a dog",
        generator=g,
    ).images[0]
    fourth = pipe("an owl").images[0]
    fifth = pipe("a hen", seed=3).images[0]
    third = pipe("a fox", generator=torch.manual_seed(1)).images[0]
    """
)


def _lint(source):
    return Linter(Settings(select=("ALL",))).lint_source(source, "script.py").findings


def _instrument(source):
    findings = _lint(source)
    targets = locate_targets(findings)
    return findings, targets, wrap_captures(source, targets.spans)


def test_each_finding_points_at_the_call_that_shows_it():
    findings, targets, _ = _instrument(SCRIPT)
    lines: dict = {}
    for finding in findings:
        lines.setdefault(finding.code, []).extend(targets.spans[cid][0] for cid in capture_ids_of(targets, finding))
    # (The unseeded calls come first: after `generator=torch.manual_seed(1)` the global generator
    # is seeded, and RPL101 leaves draws from a seeded global generator alone.)
    assert lines["RPL101"] == [11, 12]  # the call itself
    assert lines["RPL103"] == [12]  # `seed=3`, keyword and all, is an argument of the call
    assert lines["RPL102"] == [7]
    assert lines["RPL104"] == [13]  # the call that receives torch.manual_seed(1)
    assert lines["RPL106"] == [6, 7]  # the generator is created on line 5, used on lines 6 and 7
    assert lines["RPL308"] == [6, 7, 11, 12, 13]  # every pipeline call
    assert lines["RPL106"] == [6, 7]


def test_capture_wrapping_keeps_every_line_and_the_findings():
    findings, targets, instrumented = _instrument(SCRIPT)
    assert instrumented.count(CAPTURE) == len(targets.spans) == 5
    assert len(instrumented.splitlines()) == len(SCRIPT.splitlines())
    for before, after in zip(SCRIPT.splitlines(), instrumented.splitlines()):
        if CAPTURE not in after:
            assert before == after or after == before.replace(")", "))", 1)  # a wrapped call's end
    # The fixer lints the instrumented copy: it must see the same problems on the same lines.
    again = _lint(instrumented)
    assert sorted((f.code, f.start.line) for f in again) == sorted((f.code, f.start.line) for f in findings)


def test_generator_hooks_wrap_only_the_chosen_calls():
    findings, targets, instrumented = _instrument(SCRIPT)
    reused = next(f for f in findings if f.code == "RPL102")
    ids = set(capture_ids_of(targets, reused))
    code, wrapped = wrap_generator_arguments(instrumented, RESEED, ids)
    assert wrapped == ids
    assert code.count(RESEED) == 1 and f"generator={RESEED}({ids.pop()}, g)" in code
    code, wrapped = wrap_generator_arguments(instrumented, PERTURB, {capture_ids_of(targets, findings[-1])[0]})
    assert PERTURB not in code or wrapped


def test_devices_are_retargeted_and_cpu_is_left_alone():
    source = textwrap.dedent(
        """\
        import torch
        rank = 0
        model.cuda()
        x = torch.ones(1, device="cuda:1")
        y = x.to(f"cuda:{rank}")
        g = torch.Generator("cpu")
        torch.cuda.manual_seed(0)
        name = "cudacore"
        """
    )
    on_cpu = retarget_devices(source, "cpu")
    assert 'model.to("cpu")' in on_cpu
    assert 'device="cpu"' in on_cpu and 'x.to("cpu")' in on_cpu
    assert 'torch.Generator("cpu")' in on_cpu and "torch.cuda.manual_seed(0)" in on_cpu
    assert '"cudacore"' in on_cpu
    on_cuda = retarget_devices(source, "cuda")
    assert on_cuda == source


def test_comparison_numbers():
    import numpy as np

    a = np.zeros((1, 4, 4, 3))
    b = a.copy()
    b[0, 0, 0, 1] = 0.5
    b[0, 1, 1, :] = 0.25
    difference = compare_outputs([{"images": (a, True)}], [{"images": (b, True)}])
    assert difference.max_abs == 0.5 and difference.max_abs_255 == 127.5
    assert difference.fraction == 2 / 16  # two pixels of sixteen differ
    assert difference.describe() == ("max|Δ|=0.50 (128/255; 12% of pixels differ); beyond diffusers' test "
                                     "tolerance (slice cosine distance 1.00, mean pixel difference 6.64/255)")
    assert difference.scale == "beyond-tolerance" and difference.slice_cosine_distance == 1.0
    same = compare_outputs([{"latents": (a, False)}], [{"latents": (a.copy(), False)}])
    assert same.identical and same.describe() == "identical"
    shorter = compare_outputs([{"x": (a, False)}] * 2, [{"x": (a, False)}])
    assert not shorter.identical and "ran 2 times" in shorter.describe()


def test_diffusers_scale_tells_bitwise_only_drift_from_drift_beyond_its_test_tolerance():
    import numpy as np

    rng = np.random.default_rng(0)
    image = rng.random((1, 8, 8, 3))
    # Float error: every pixel moves by one part in ten million.
    bitwise = compare_outputs([{"images": (image, True)}], [{"images": (image * (1 + 1e-7), True)}])
    assert not bitwise.identical and bitwise.scale == "bitwise-only"
    assert bitwise.slice_cosine_distance < 1e-12
    assert "bitwise only, within diffusers' test tolerance" in bitwise.describe()
    # The corner slice diffusers' tests read (image[0, -3:, -3:, -1]) changed: beyond.
    moved = image.copy()
    moved[0, -3:, -3:, -1] = rng.random((3, 3))
    beyond = compare_outputs([{"images": (image, True)}], [{"images": (moved, True)}])
    assert beyond.scale == "beyond-tolerance" and beyond.slice_cosine_distance > 1e-3
    # A difference outside the slice still counts through the mean pixel difference (0-255).
    washed = image.copy()
    washed[0, :4] = 1 - washed[0, :4]
    far = compare_outputs([{"images": (image, True)}], [{"images": (washed, True)}])
    assert far.slice_cosine_distance == 0.0 and far.mean_pixel_difference > 10
    assert far.scale == "beyond-tolerance"
    data = far.as_dict()
    assert data["scale"] == "beyond-tolerance" and data["mean_pixel_difference"] == far.mean_abs * 255
    identical = compare_outputs([{"images": (image, True)}], [{"images": (image.copy(), True)}])
    assert identical.scale is None and identical.as_dict()["scale"] is None


def test_a_loss_of_one_value_is_judged_on_its_values_not_on_a_slice_cosine():
    import numpy as np

    # Two training runs' losses, one scalar per step: the cosine of two positive numbers is 1,
    # however far apart they are, so it cannot call them "bitwise only".
    first = [{"loss": (np.array(0.31), False)}, {"loss": (np.array(0.25), False)}]
    far = compare_outputs(first, [{"loss": (np.array(7.1), False)}, {"loss": (np.array(5.2), False)}])
    assert far.slice_cosine_distance == 0.0 and far.slice_values == 1
    assert far.scale == "beyond-tolerance"
    assert far.describe().endswith("beyond diffusers' test tolerance (1-value outputs: max|Δ| against 1.0e-04)")
    near = compare_outputs(first, [{"loss": (np.array(0.31 + 1e-7), False)}, {"loss": (np.array(0.25), False)}])
    assert near.scale == "bitwise-only" and near.as_dict()["slice_values"] == 1
    # A 3×3 slice and more: the slice decides, as before.
    latents = np.linspace(0, 1, 64).reshape(1, 4, 4, 4)
    assert compare_outputs([{"x": (latents, False)}], [{"x": (latents * (1 + 1e-7), False)}]).slice_values == 9


def test_device_option_parsing():
    assert parse_devices("cpu, cuda") == ("cpu", "cuda")
    assert parse_devices(None) == ()
    try:
        parse_devices("tpu")
    except ValueError as exc:
        assert "tpu" in str(exc)
    else:
        raise AssertionError("tpu accepted")


def test_plain_lint_and_the_cli_never_import_torch_or_numpy(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(SCRIPT)
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from reprolint.cli import main\n"
        f"result = CliRunner().invoke(main, [{str(script)!r}])\n"
        "assert result.exit_code == 1, result.output\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy', 'diffusers'))\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_progress_bar_over_the_files_shows_the_file_finding_and_run(monkeypatch):
    import io

    from reprolint.verify import cli as verify_cli

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    progress = verify_cli._ProgressBar()
    progress.file_started(0, 2, "a.py:6 RPL101")
    progress("verify a.py (RPL101) on cpu: original copy, run 1 of 2")
    progress.file_started(1, 2, "b.py:3 RPL102 and 1 more")
    progress("verify b.py (RPL102, RPL104) on cpu: reseed copy, run 3 of 4")
    progress("")
    import re

    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", stream.getvalue())  # click hides the cursor meanwhile
    frames = [frame.strip() for frame in plain.split("\r") if frame.strip()]
    assert all(f.startswith("verify  [") for f in frames)
    assert any(f.endswith("0/2  a.py:6 RPL101") for f in frames)
    assert any(f.endswith("a.py:6 RPL101: original copy, run 1 of 2") and "0/2" in f for f in frames)
    assert any(f.endswith("b.py:3 RPL102 and 1 more: reseed copy, run 3 of 4") and "1/2" in f for f in frames)
    assert "2/2" in frames[-1] and "#" * 10 in frames[-1]
    assert plain.endswith("\n")  # the finished bar keeps its line; the report follows


def test_a_runner_that_cannot_start_gives_error_verdicts_not_a_crash(tmp_path, monkeypatch):
    from reprolint.verify import VerifyOptions, verify_run
    from reprolint.verify import runner

    def broken_start(self):
        raise runner.ServerError("--verify needs torch and numpy: ModuleNotFoundError: No module named 'torch'")

    monkeypatch.setattr(runner.Server, "start", broken_start)
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SCRIPT)
    run = Linter(Settings()).lint_paths([str(tmp_path)])
    verify_run(run, VerifyOptions(use_cache=False))
    summaries = {f.extra["verification"]["summary"] for f in run.findings if "verification" in f.extra}
    assert summaries == {"error: --verify needs torch and numpy: ModuleNotFoundError: No module named 'torch'"}


def test_notebooks_are_skipped_by_verify(tmp_path):
    import json

    from reprolint.verify import VerifyOptions, verify_run

    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": SCRIPT.splitlines(keepends=True)}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    run = Linter(Settings()).lint_paths([str(tmp_path / "nb.ipynb")])
    assert run.findings
    verify_run(run, VerifyOptions(use_cache=False))
    assert {f.extra["verification"]["status"] for f in run.findings} == {"skipped"}


def test_the_scratch_mirror_copies_small_files_links_the_rest_and_finds_what_a_run_wrote(tmp_path, monkeypatch):
    from reprolint.verify import runner

    source = tmp_path / "project"
    (source / "data" / "deep" / "deeper" / "deepest").mkdir(parents=True)
    (source / ".git").mkdir()
    (source / "script.py").write_text("print(1)\n")
    (source / "data" / "small.txt").write_text("small")
    (source / "data" / "deep" / "deeper" / "deepest" / "far.txt").write_text("far")
    (source / "weights.bin").write_bytes(b"0" * 64)
    (tmp_path / "outside.txt").write_text("outside")
    os.symlink("data/small.txt", source / "inside_link")
    os.symlink("../outside.txt", source / "outside_link")
    monkeypatch.setattr(runner, "MIRROR_COPY_LIMIT", 32)  # weights.bin counts as large
    mirror = tmp_path / "mirror"
    copied = runner.mirror_folder(str(source), str(mirror))
    assert sorted(copied) == ["data/small.txt", "script.py"]
    assert not (mirror / "data").is_symlink() and (mirror / "data" / "small.txt").read_text() == "small"
    assert (mirror / "weights.bin").is_symlink() or not (mirror / "weights.bin").samefile(source / "weights.bin")
    assert not (mirror / ".git").exists()  # a run must never reach the user's repository
    deepest = mirror / "data" / "deep" / "deeper" / "deepest"  # three levels are recreated, then linked
    assert not deepest.parent.is_symlink() and deepest.is_symlink() and (deepest / "far.txt").read_text() == "far"
    assert (mirror / "inside_link").read_text() == "small" and os.readlink(mirror / "inside_link") == "data/small.txt"
    assert (mirror / "outside_link").read_text() == "outside"
    # A run overwrites a copied file and writes a new one: those are its outputs.
    (mirror / "data" / "small.txt").write_text("changed by the run")
    (mirror / "new.png").write_bytes(b"png")
    kept = tmp_path / "kept"
    assert runner.collect_outputs(str(mirror), copied, str(kept)) == ["data/small.txt", "new.png"]
    assert (source / "data" / "small.txt").read_text() == "small"  # the user's file is untouched


def test_captured_calls_are_handed_to_a_hook_with_their_arguments_evaluated_once():
    source = "images = pipe(prompt, num_images_per_prompt=4, generator=gens).images\nother = f(1)\n"
    span = (1, 9, 1, 62)
    instrumented = wrap_captures(source, [span])
    handed = hand_calls_to(instrumented, ALONE, {0})
    assert handed.splitlines()[0] == (f"images = {ALONE}(0, pipe, prompt, num_images_per_prompt=4, "
                                      "generator=gens).images")
    assert handed.splitlines()[1] == "other = f(1)"  # not captured: left alone
    no_arguments = hand_calls_to(wrap_captures("x = make()\n", [(1, 4, 1, 10)]), REPEAT, {0})
    assert no_arguments == f"x = {REPEAT}(0, make)\n"
    assert hand_calls_to(instrumented, REPEAT, {5}) == instrumented  # another capture id


def _findings(source: str, code: str) -> list:
    report = Linter(Settings(select=(code,))).lint_source(source, "script.py")
    return report.findings


def test_a_seed_test_reads_zero_in_its_copy_and_only_on_its_lines():
    source = textwrap.dedent(
        """\
        import argparse
        import torch
        from diffusers import DDIMPipeline

        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=1234)
        args = parser.parse_args()
        pipe = DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")
        generator = torch.Generator().manual_seed(args.seed) if args.seed else None
        images = pipe(generator=generator, seed_note=args.seed).images
        """)
    findings = _findings(source, "RPL201")
    assert [f.start.line for f in findings] == [9]
    seeds = seed_tests_of(source, findings)
    assert seeds == {9: {"args.seed"}}
    copy, replaced = read_seed_as_zero(source, seeds)
    assert replaced == 2
    lines = copy.splitlines()
    assert lines[8] == "generator = torch.Generator().manual_seed(0) if 0 else None"
    assert lines[9] == source.splitlines()[9]  # another line keeps the real seed
    fixed = "generator = torch.Generator().manual_seed(seed) if seed is not None else None\nseed = seed or 0\n"
    fixed_copy, _ = read_seed_as_zero(fixed, {1: {"seed"}, 2: {"seed"}})
    assert fixed_copy.splitlines() == ["generator = torch.Generator().manual_seed(0) if 0 is not None else None",
                                       "seed = 0 or 0"]  # a name written is left as it is
    keyword, _ = read_seed_as_zero("make(seed=seed, other=self.seed)\n", {1: {"seed"}})
    assert keyword == "make(seed=0, other=self.seed)\n"


def test_the_arguments_that_make_one_image_of_a_batch_alone():
    from reprolint.verify.child import _alone_arguments

    gens = ["g0", "g1", "g2", "g3"]
    args, kwargs = _alone_arguments(("a cat",), {"num_images_per_prompt": 4, "generator": gens}, 3)
    assert args == ("a cat",) and kwargs == {"num_images_per_prompt": 1, "generator": "g3"}
    # Two prompts, two images each: image 3 is the second prompt's.
    args, kwargs = _alone_arguments((), {"prompt": ["a", "b"], "negative_prompt": ["x", "y"],
                                         "num_images_per_prompt": 2, "generator": "g"}, 3)
    assert kwargs == {"prompt": "b", "negative_prompt": "y", "num_images_per_prompt": 1, "generator": "g"}
    args, kwargs = _alone_arguments((["a", "b", "c"],), {"batch_size": 3}, 2)
    assert args == ("c",) and kwargs == {"batch_size": 1}


def test_training_drift_is_told_in_exact_numbers_without_diffusers_image_tolerance():
    """Regression: a resumed run's losses were described as "bitwise only, within diffusers' test
    tolerance", a measure of images that losses and weights do not have."""
    import numpy as np

    from reprolint.verify.instrument import LOSS_CAPTURE, WEIGHTS_CAPTURE
    from reprolint.verify.verdict import _training_drift

    class Run:
        def __init__(self, losses, weights):
            self.captures = {LOSS_CAPTURE: [{"loss": (np.array(losses), False)}],
                            WEIGHTS_CAPTURE: [{"weights": (np.array(weights), False)}]}

    drifted = _training_drift(Run([0.5, 0.4], [1.0, 2.0]), Run([0.5, 0.4 + 1e-7], [1.0, 2.0]),
                              [LOSS_CAPTURE, WEIGHTS_CAPTURE])
    assert "losses max|Δ|=" in drifted and "final weights identical" in drifted
    assert "diffusers" not in drifted
