"""--verify on RPL204: train, checkpoint, stop and resume, against the uninterrupted run; the fix is
shown by restoring the checkpoint's random states at the resume."""

from __future__ import annotations

import shutil

import pytest

np = pytest.importorskip("numpy")

from reprolint.findings import Finding, Position  # noqa: E402
from reprolint.settings import Settings  # noqa: E402
from reprolint.verify.runner import RunResult  # noqa: E402
from reprolint.verify.verdict import judge  # noqa: E402
from tests.verify.conftest import SCRIPTS, verify_paths  # noqa: E402

TRAINING = [-1, -2]  # the losses, the final weights


def _finding():
    return Finding("RPL204", "resume-without-rng-state", "message", "train.py", Position(23, 5), Position(23, 50))


def _trained(*losses, weight=1.0, saved_at=None):
    details = {} if saved_at is None else {"saved_at": saved_at, "resumed": True}
    return RunResult(status="ok", details=details,
                     captures={-1: [{"output": (np.array(loss), False)} for loss in losses],
                               -2: [{"w": (np.full(3, weight), False)}]})


def test_a_resume_that_loses_the_random_states_drifts_and_restoring_them_removes_it():
    runs = {("cpu", "original"): [_trained(0.9, 0.8), _trained(0.9, 0.8)],
            ("cpu", "original-resume"): [_trained(0.7, 0.65, weight=1.5, saved_at=2)],
            ("cpu", "original-uninterrupted"): [_trained(0.6, 0.5)],
            ("cpu", "original-restored"): [_trained(0.6, 0.5, saved_at=2)]}
    verdict = judge(_finding(), TRAINING, runs, ["cpu"], {}, {"available": True, "applies": {}})
    assert verdict["status"] == "confirmed", verdict["summary"]
    assert verdict["summary"].startswith(
        "drift confirmed on cpu: resumed from the checkpoint of step 2, the next 2 training steps differ from the "
        "uninterrupted run's: losses max|Δ|=")
    assert verdict["summary"].endswith("; with the random states restored at the resume (the fix): identical")
    assert verdict["fix"]["status"] == "identical"


def test_a_resume_that_loses_more_than_the_random_states_still_differs_when_they_are_restored():
    runs = {("cpu", "original"): [_trained(0.9, 0.8), _trained(0.9, 0.8)],
            ("cpu", "original-resume"): [_trained(0.7, 0.65, saved_at=2)],
            ("cpu", "original-uninterrupted"): [_trained(0.6, 0.5)],
            ("cpu", "original-restored"): [_trained(0.61, 0.5, saved_at=2)]}
    verdict = judge(_finding(), TRAINING, runs, ["cpu"], {}, {"available": True, "applies": {}})
    assert verdict["status"] == "confirmed"
    assert "with the random states restored at the resume: still differs" in verdict["summary"]


def test_a_resume_that_matches_the_uninterrupted_run_shows_no_drift():
    runs = {("cpu", "original"): [_trained(0.9, 0.8), _trained(0.9, 0.8)],
            ("cpu", "original-resume"): [_trained(0.6, 0.5, saved_at=3)],
            ("cpu", "original-uninterrupted"): [_trained(0.6, 0.5)]}
    verdict = judge(_finding(), TRAINING, runs, ["cpu"], {}, {"available": True, "applies": {}})
    assert verdict["status"] == "no-drift"
    assert verdict["summary"] == ("no drift observed (resumed from the checkpoint of step 3: the next 2 training steps "
                                  "match the uninterrupted run's, identical losses and final weights)")


def test_a_script_that_never_checkpoints_is_skipped_with_the_reason():
    why = "the script saved no checkpoint (torch.save) after 2 optimizer steps (within 50)"
    runs = {("cpu", "original"): [_trained(0.9, 0.8), _trained(0.9, 0.8)],
            ("cpu", "original-resume"): [RunResult(status="skipped", error=why)]}
    verdict = judge(_finding(), TRAINING, runs, ["cpu"], {}, {"available": True, "applies": {}})
    assert verdict["status"] == "skipped"
    assert verdict["summary"] == f"skipped: the resumed copy: {why}"


@pytest.mark.slow
def test_the_training_script_drifts_after_the_resume_and_restoring_the_random_states_fixes_it(
        tmp_path, verify_server):
    shutil.copy(SCRIPTS / "train_resume.py", tmp_path)
    findings = verify_paths([tmp_path], verify_server, settings=Settings(select=("RPL204",)),
                            timeout=120, devices=("cpu",))
    (finding,) = findings["train_resume.py"]
    result = finding.extra["verification"]
    assert result["status"] == "confirmed", result["summary"]
    assert result["summary"].startswith("drift confirmed on cpu: resumed from the checkpoint of step 2, the next 2 "
                                        "training steps differ from the uninterrupted run's: losses max|Δ|=")
    assert result["summary"].endswith("with the random states restored at the resume (the fix): identical")
    assert result["devices"]["cpu"]["resumed_at"] == 2


@pytest.mark.slow
def test_a_script_that_does_not_resume_when_run_again_is_skipped(tmp_path, verify_server):
    source = (SCRIPTS / "train_resume.py").read_text().replace('if os.path.exists(CHECKPOINT):',
                                                               'if os.environ.get("RESUME_FROM"):')
    (tmp_path / "train_fresh.py").write_text(source)
    findings = verify_paths([tmp_path], verify_server, settings=Settings(select=("RPL204",)),
                            timeout=120, devices=("cpu",))
    result = findings["train_fresh.py"][0].extra["verification"]
    assert result["status"] == "skipped", result["summary"]
    assert "the second run did not resume" in result["summary"]
