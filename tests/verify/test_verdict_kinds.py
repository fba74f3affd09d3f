"""The verdicts of the comparisons that are not two plain runs, from hand-made run results."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")

from reprolint.findings import Finding, Position  # noqa: E402
from reprolint.verify.runner import RunResult  # noqa: E402
from reprolint.verify.verdict import judge  # noqa: E402


def _finding(code):
    return Finding(code, "name", "message", "gen.py", Position(5, 1), Position(5, 9))


def _run(*outputs, status="ok", error=None):
    return RunResult(status=status, error=error,
                     captures={0: [{"images": (np.full((1, 4, 4, 3), value), True)} for value in outputs]})


def test_a_gpu_kernel_check_that_ran_on_the_cpu_only_needs_cuda():
    same = [_run(0.5), _run(0.25), _run(0.5)]  # A, B, A again: A vs A identical
    verdict = judge(_finding("RPL301"), [0], {("cpu", "original"): same}, ["cpu"], {}, {"available": False})
    assert verdict["status"] == "needs-cuda"
    assert verdict["summary"].startswith("needs CUDA: not shown on CPU (cuDNN and cuBLAS kernels: shows on a GPU "
                                         "only; on cpu: 2 runs with the same seeds identical)")
    both = judge(_finding("RPL301"), [0], {("cpu", "original"): same, ("cuda", "original"): same},
                 ["cpu", "cuda"], {}, {"available": False}, cuda_available=True)
    assert both["status"] == "no-drift"  # CUDA ran and its runs agreed: that is an answer


def test_a_batch_image_made_alone_pairs_up_within_one_run():
    runs = {("cpu", "original"): [_run(0.1), _run(0.2)],
            ("cpu", "original-alone"): [_run(0.3, 0.7)],  # (last image of the batch, made alone)
            ("cpu", "fixed"): [_run(0.1), _run(0.2)],
            ("cpu", "fixed-alone"): [_run(0.3, 0.3)]}
    verdict = judge(_finding("RPL105"), [0], runs, ["cpu"], {}, {"available": True, "applies": {"RPL105": True}})
    assert verdict["status"] == "confirmed", verdict["summary"]
    assert verdict["devices"]["cpu"]["comparison"]["max_abs"] == pytest.approx(0.4)
    assert verdict["fix"]["status"] == "identical"
    assert "divergence" not in verdict["devices"]["cpu"]  # one run: nothing to walk side by side


def _image_run(*images):
    return RunResult(status="ok", captures={0: [{"images": (image, True)} for image in images]})


def _tensor_run(*values):
    return RunResult(status="ok", captures={0: [{"output": (np.full((1, 4, 8, 8), value), False)}
                                                for value in values]})


@pytest.mark.parametrize("code", ["RPL105", "RPL108"])
def test_a_fixed_batch_within_one_8_bit_step_of_its_image_made_alone_is_float_error(code):
    # A batch and one image alone take kernels blocked for other batch sizes (two threads on the
    # CPU): one pixel of the fixed batch's last image rounds to the next 8-bit step.
    from reprolint.verify.report import kind_of

    image = np.full((1, 64, 64, 3), 100 / 255)
    rounded = image.copy()
    rounded[0, 5, 7, 1] = 101 / 255
    runs = {("cpu", "original"): [_run(0.1), _run(0.2)],
            ("cpu", "original-alone"): [_image_run(image, image + 0.3)],
            ("cpu", "fixed"): [_run(0.1), _run(0.2)],
            ("cpu", "fixed-alone"): [_image_run(image, rounded)]}
    fix_state = {"available": True, "applies": {code: True}}
    verdict = judge(_finding(code), [0], runs, ["cpu"], {}, fix_state)
    assert verdict["status"] == "confirmed", verdict["summary"]
    assert verdict["fix"]["status"] == "float-error"
    assert verdict["summary"].endswith("with the fix: float error only, max|Δ|=3.9e-03 (1/255) (a batch and one "
                                       "image alone run kernels blocked for different batch sizes)")
    assert kind_of(verdict) == "fixed"
    # Two steps apart is no rounding error: the fix still differs.
    two_steps = rounded.copy()
    two_steps[0, 5, 7, 1] = 102 / 255
    runs[("cpu", "fixed-alone")] = [_image_run(image, two_steps)]
    assert judge(_finding(code), [0], runs, ["cpu"], {}, fix_state)["fix"]["status"] == "differs"
    # On float outputs the bound is diffusers' batch-vs-single tolerance, 1e-4.
    runs[("cpu", "fixed-alone")] = [_tensor_run(0.3, 0.3 + 5e-5)]
    assert judge(_finding(code), [0], runs, ["cpu"], {}, fix_state)["fix"]["status"] == "float-error"
    runs[("cpu", "fixed-alone")] = [_tensor_run(0.3, 0.3 + 5e-4)]
    assert judge(_finding(code), [0], runs, ["cpu"], {}, fix_state)["fix"]["status"] == "differs"


def test_a_rounding_difference_between_two_runs_of_a_fix_is_not_float_error():
    # Two runs of the same code on one machine have no batch-size excuse: any difference differs.
    image = np.full((1, 64, 64, 3), 100 / 255)
    rounded = image.copy()
    rounded[0, 5, 7, 1] = 101 / 255
    runs = {("cpu", "original"): [_run(0.1), _run(0.2)], ("cpu", "fixed"): [_image_run(image), _image_run(rounded)]}
    verdict = judge(_finding("RPL101"), [0], runs, ["cpu"], {}, {"available": True, "applies": {"RPL101": True}})
    assert verdict["status"] == "confirmed" and verdict["fix"]["status"] == "differs"


def test_a_comparison_copy_that_failed_is_its_verdict_not_drift():
    runs = {("cpu", "original"): [_run(0.1), _run(0.1)],
            ("cpu", "original-alone"): [RunResult(status="skipped", error="the flagged call made one image, "
                                                                          "not a batch")]}
    verdict = judge(_finding("RPL108"), [0], runs, ["cpu"], {}, {"available": False})
    assert verdict["status"] == "skipped"
    assert verdict["summary"] == "skipped: the alone copy: the flagged call made one image, not a batch"


def test_seed_zero_and_hash_seed_compare_the_two_runs_of_their_copy():
    runs = {("cpu", "original"): [_run(0.1), _run(0.1)],
            ("cpu", "original-zero"): [_run(0.1), _run(0.9)]}
    zero = judge(_finding("RPL201"), [0], runs, ["cpu"], {}, {"available": False})
    assert zero["status"] == "confirmed" and zero["summary"].startswith("drift confirmed on cpu: with seed 0, 2 runs "
                                                                       "differ: max|Δ|=0.80")
    runs = {("cpu", "original"): [_run(0.1), _run(0.1)], ("cpu", "original-hash"): [_run(0.4), _run(0.4)]}
    hashed = judge(_finding("RPL307"), [0], runs, ["cpu"], {}, {"available": False})
    assert hashed["status"] == "no-drift"
    assert hashed["summary"] == "no drift observed (2 runs with different PYTHONHASHSEED values identical)"


def test_flagged_code_that_raises_and_a_fix_that_runs_confirm_the_finding():
    failed = RunResult(status="error", error="TypeError: expected a Generator, got int", error_lines=[5])
    runs = {("cpu", "original"): [failed], ("cpu", "fixed"): [_run(0.2), _run(0.2)]}
    fix_state = {"available": True, "applies": {"RPL103": True}}
    verdict = judge(_finding("RPL103"), [0], runs, ["cpu"], {}, fix_state)
    assert verdict["status"] == "confirmed"
    assert verdict["summary"] == ("confirmed on cpu: the flagged code raises TypeError: expected a Generator, got "
                                  "int; with the fix: runs, 2 runs identical")
    elsewhere = RunResult(status="error", error="FileNotFoundError: prompts.txt", error_lines=[9])
    other = judge(_finding("RPL103"), [0], {**runs, ("cpu", "original"): [elsewhere]}, ["cpu"], {}, fix_state)
    assert other["status"] == "error"  # raised elsewhere: the finding is not what failed


def test_a_run_that_stops_at_another_findings_code_never_reached_this_one():
    # cli_seed_bad.py: `generator=args.seed` (line 3, RPL103) raises before line 5 runs.
    failed = RunResult(status="error", error="AttributeError: 'int' object has no attribute 'device'",
                       error_lines=[3, 9])
    runs = {("cpu", "original"): [failed], ("cpu", "fixed"): [_run(0.2), _run(0.2)]}
    verdict = judge(_finding("RPL107"), [0], runs, ["cpu"], {}, {"available": True, "applies": {"RPL103": True}},
                    other_findings={3: "RPL103"})
    assert verdict["status"] == "skipped"
    assert verdict["summary"] == ("skipped: the script stops earlier, at line 3 (RPL103 there: AttributeError: "
                                  "'int' object has no attribute 'device'), before this code ran")
    alone = judge(_finding("RPL107"), [0], runs, ["cpu"], {}, {"available": False})
    assert alone["status"] == "error"  # no other finding there: the script's own failure


def test_a_report_that_cannot_be_written_is_said_and_keeps_the_verdicts(tmp_path, monkeypatch):
    from reprolint.findings import RunReport
    from reprolint.verify import VerifyOptions, report
    from reprolint.verify.session import VerifySession

    def broken(*args, **kwargs):
        raise ValueError("x1 must be greater than or equal to x0")

    monkeypatch.setattr(report, "write", broken)
    said = []
    session = VerifySession(VerifyOptions(use_cache=False, report_dir=str(tmp_path / "report"), log=said.append))
    session.verify(RunReport(files=[]))
    assert session.report_path is None
    assert said == ["verify: the report could not be written: ValueError: x1 must be greater than or equal to x0"]
