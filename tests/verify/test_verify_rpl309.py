"""--verify on RPL309: the RuntimeError that torch raises on CUDA is the evidence; a CPU-only run
says that the error needs CUDA, never that nothing was found."""

from __future__ import annotations

import shutil

import pytest

np = pytest.importorskip("numpy")

from reprolint.findings import Finding, Position  # noqa: E402
from reprolint.settings import Settings  # noqa: E402
from reprolint.verify.runner import RunResult  # noqa: E402
from reprolint.verify.verdict import judge  # noqa: E402
from tests.verify.conftest import SCRIPTS, verify_paths  # noqa: E402

BILINEAR_ERROR = ("RuntimeError: upsample_bilinear2d_backward_out_cuda does not have a deterministic implementation, "
                  "but you set 'torch.use_deterministic_algorithms(True)'.")


def _finding():
    return Finding("RPL309", "raises-under-determinism", "message", "train.py", Position(19, 16), Position(19, 80))


def _trained(loss=0.5):
    return RunResult(status="ok", captures={-1: [{"output": (np.array(loss), False)}]})


def test_the_cuda_error_is_the_evidence():
    raised = RunResult(status="error", error=BILINEAR_ERROR, error_lines=[29],
                       traceback="Traceback ...\n  loss.backward()\n" + BILINEAR_ERROR)
    runs = {("cpu", "original"): [_trained(), _trained()], ("cuda", "original"): [raised]}
    verdict = judge(_finding(), [-1, -2], runs, ["cpu", "cuda"], {}, {"available": False}, cuda_available=True)
    assert verdict["status"] == "confirmed", verdict["summary"]
    assert verdict["summary"] == "confirmed on cuda: raises " + BILINEAR_ERROR
    assert verdict["devices"]["cpu"]["status"] == "no-drift"


def test_a_cpu_only_run_needs_cuda():
    runs = {("cpu", "original"): [_trained(), _trained()]}
    verdict = judge(_finding(), [-1, -2], runs, ["cpu"], {}, {"available": False})
    assert verdict["status"] == "needs-cuda"
    assert verdict["summary"].startswith("needs CUDA: not shown on CPU (torch's CUDA kernels: raises on a GPU only; "
                                         "on cpu: the script ran without the error)")
    # cuda asked for on a machine without it: the same answer, and why cuda did not run
    skipped = judge(_finding(), [-1, -2], runs, ["cpu", "cuda"], {"cuda": "cuda not available"}, {"available": False})
    assert skipped["status"] == "needs-cuda"
    assert skipped["summary"].endswith("; skipped: cuda not available")


def test_another_error_is_the_scripts_not_evidence():
    other = RunResult(status="error", error="FileNotFoundError: data/low.png", error_lines=[3])
    runs = {("cuda", "original"): [other]}
    verdict = judge(_finding(), [-1, -2], runs, ["cuda"], {}, {"available": False}, cuda_available=True)
    assert verdict["status"] == "error"
    assert verdict["summary"] == "error: FileNotFoundError: data/low.png"


def test_a_cuda_run_without_the_error_is_not_shown():
    runs = {("cuda", "original"): [_trained()]}
    verdict = judge(_finding(), [-1, -2], runs, ["cuda"], {}, {"available": False}, cuda_available=True)
    assert verdict["status"] == "no-drift"
    assert verdict["summary"] == "not shown: the script ran on cuda without the error"


@pytest.mark.slow
def test_the_training_script_runs_on_the_cpu_and_needs_cuda(tmp_path, verify_server):
    shutil.copy(SCRIPTS / "train_bilinear_deterministic.py", tmp_path)
    findings = verify_paths([tmp_path], verify_server, settings=Settings(select=("RPL309",)),
                            timeout=120, devices=("cpu",))
    (finding,) = findings["train_bilinear_deterministic.py"]
    result = finding.extra["verification"]
    assert result["status"] == "needs-cuda", result["summary"]
    assert "on cpu: the script ran without the error" in result["summary"]
