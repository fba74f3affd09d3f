"""RPL112 sde-scheduler-without-noise-seed: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


@pytest.mark.parametrize("call,flagged", [
    ("DPMSolverSDEScheduler()", True),
    ("DPMSolverSDEScheduler(noise_sampler_seed=0)", False),
    ("DPMSolverSDEScheduler.from_pretrained('m', subfolder='scheduler')", False),
    ("DPMSolverSDEScheduler.from_config(cfg, **kw)", False),
    ("DPMSolverSDEScheduler.from_config(cfg, **{'noise_sampler_seed': 3})", False),
])
def test_sde_scheduler_noise_seed(call, flagged):
    code = f"""
        from diffusers import DPMSolverSDEScheduler

        pipe.scheduler = {call}
    """
    assert bool(codes(code, "RPL112")) is flagged
