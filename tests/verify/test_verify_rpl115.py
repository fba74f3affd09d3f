"""--verify on RPL115: a project scheduler whose step draws from torch's global RNG follows the
process seed, not the generator the sampling function was given."""

from __future__ import annotations

import pytest

from reprolint.settings import Settings
from tests.verify.conftest import verify_paths

pytestmark = pytest.mark.slow

SCRIPT = '''"""A project's own scheduler whose step draws from torch's global RNG (RPL115)."""
import torch
from diffusers import SchedulerMixin


class AncestralScheduler(SchedulerMixin):
    def step(self, model_output, timestep, sample):
        noise = torch.randn(sample.shape)
        return sample - 0.1 * model_output + 0.1 * noise


def sample(scheduler, generator, steps=3):
    latents = torch.randn((1, 4, 8, 8), generator=generator)
    for t in range(steps):
        latents = scheduler.step(latents * 0.5, t, latents)
    return latents


image = sample(AncestralScheduler(), torch.Generator("cpu").manual_seed(0))
print("sample mean", float(image.mean()))
'''


def test_rpl115_step_noise_follows_the_process_seed(tmp_path, verify_server):
    (tmp_path / "project_scheduler.py").write_text(SCRIPT)
    findings = verify_paths([tmp_path], verify_server, settings=Settings(select=("RPL115",)),
                            timeout=120, devices=("cpu",))
    (finding,) = findings["project_scheduler.py"]
    result = finding.extra["verification"]
    assert result["status"] == "confirmed", result["summary"]
    assert "the sampler's noise follows the process seed, not the pipeline's generator" in result["summary"]
