"""Where two runs part: the first event of their records that differs, and |Δ| per step."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")

from reprolint.verify.trace import first_divergence  # noqa: E402


def _event(kind, name, digest, where="/work/gen.py:7", line=7, sample=None):
    return {"kind": kind, "name": name, "where": where, "script_line": line, "digest": digest,
            "sample": np.asarray(sample if sample is not None else [0.0, 1.0])}


def _steps(count, digest="same", sample=(0.0, 1.0)):
    return [_event("step", "DDIMScheduler.step", f"{digest}{i}", "/x/pipeline_ddim.py:140", 12, list(sample))
            for i in range(count)]


def test_the_first_differing_event_is_named_with_the_steps_that_agree_before_it():
    common = [_event("draw", "randn_tensor", "a", "/x/pipeline_ddim.py:120", 12)] + _steps(2)
    first = common + [_event("draw", "torch.randn_like", "r1", "/work/pipeline.py:13", 13)] + _steps(1, "late")
    second = common + [_event("draw", "torch.randn_like", "r2", "/work/pipeline.py:13", 13)] + _steps(
        1, "other", sample=(0.0, 1.5))
    divergence = first_divergence(first, second)
    assert divergence["phrase"] == "runs agree until step 3; first difference: `torch.randn_like` at pipeline.py:13"
    assert divergence["index"] == 3 and divergence["script_line"] == 13 and divergence["step"] == 3
    assert divergence["step_deltas"] == [0.0, 0.0, 0.5]  # the third step's output moved by 0.5


def test_runs_that_part_at_once_or_never_say_so():
    first = [_event("draw", "torch.randn", "x")] + _steps(2)
    second = [_event("draw", "torch.randn", "y")] + _steps(2)
    assert first_divergence(first, second)["phrase"] == (
        "runs part at the first recorded event; first difference: `torch.randn` at gen.py:7")
    same = first_divergence(first, list(first))
    assert same == {"found": False, "phrase": "the 3 recorded events agree"}
    assert first_divergence([], second) is None


def test_a_draw_one_run_makes_and_the_other_does_not_is_the_difference():
    extra = [_event("draw", "torch.rand", "e", "/work/gen.py:5", 5)]
    common = [_event("module", "UNet2DModel", "u", "/x/pipe.py:9", 9)]
    divergence = first_divergence(common + extra + common, common + common)
    assert divergence["phrase"].startswith("runs agree for 1 recorded events; first difference: `torch.rand` at "
                                           "gen.py:5 vs `UNet2DModel` at pipe.py:9")
    shorter = first_divergence(common + extra, common)
    assert "one run recorded more events, from `torch.rand` at gen.py:5" in shorter["phrase"]
