"""RPL115 project-scheduler-global-noise: must-flag and must-not-flag cases beyond the rule's own examples."""

import textwrap

import pytest

from reprolint.fix.apply import fix_source
from reprolint.settings import Settings
from tests.conftest import codes, lint

HEADER = """
    import torch
    from diffusers import DiffusionPipeline
"""


@pytest.mark.parametrize("body,flagged", [
    ("noise = torch.randn_like(sample)", True),
    ("noise = torch.rand(sample.shape)", True),
    ("noise = torch.normal(0.0, 1.0, size=sample.shape)", True),
    ("noise = torch.randint(0, 2, sample.shape)", True),
    ("noise = torch.randn(sample.shape, generator=self_gen)", False),
    ("noise = torch.randn(sample.shape, **draw_kwargs)", False),
    ("noise = sample.new_zeros(sample.shape)", False),
])
def test_draws_in_step(body, flagged):
    code = HEADER + f"""
    class MyScheduler:
        def step(self, model_output, timestep, sample):
            {body}
            return sample + noise
    """
    assert bool(codes(code, "RPL115")) is flagged


@pytest.mark.parametrize("method,flagged", [
    ("step", True), ("sample", True), ("__call__", True), ("add_noise", False), ("set_timesteps", False),
])
def test_only_the_stepping_methods(method, flagged):
    code = HEADER + f"""
    class EulerAncestralSampler:
        def {method}(self, x, sigma):
            return x + sigma * torch.randn_like(x)
    """
    assert bool(codes(code, "RPL115")) is flagged


@pytest.mark.parametrize("signature", [
    "def step(self, model_output, t, sample, generator=None):",
    "def step(self, model_output, t, sample, rng=None):",
    "def step(self, model_output, t, sample, noise_generator: torch.Generator = None):",
])
def test_a_step_that_takes_a_generator_is_left_to_rpl113(signature):
    code = HEADER + f"""
    class MyScheduler:
        {signature}
            return sample + torch.randn_like(sample)
    """
    assert codes(code, "RPL115") == []


def test_a_class_that_holds_a_generator_is_left_to_rpl113():
    code = HEADER + """
    class MySampler:
        def __init__(self, seed):
            self.generator = torch.Generator().manual_seed(seed)

        def sample(self, x):
            return x + torch.randn_like(x)
    """
    assert codes(code, "RPL115") == []


def test_a_scheduler_mixin_subclass_is_flagged_in_any_module():
    code = """
        import torch
        from diffusers.schedulers.scheduling_utils import SchedulerMixin

        class MyFlow(SchedulerMixin):
            def step(self, model_output, t, sample):
                return sample + torch.randn_like(sample)
    """
    assert codes(code, "RPL115") == [("RPL115", 6)]


def test_tiny_diffusion_style_script_that_never_seeds_anything_is_not_flagged():
    """A toy DDPM script (tanelp/tiny-diffusion, the AI-Scientist templates): no generator and no
    seed anywhere; the rule's harm (a seed that does not reach the step) cannot happen there."""
    code = """
        import torch

        class NoiseScheduler:
            def step(self, model_output, timestep, sample):
                variance = 0
                if timestep > 0:
                    noise = torch.randn_like(model_output)
                    variance = self.betas[timestep] ** 0.5 * noise
                return sample + variance
    """
    assert codes(code, "RPL115") == []


def test_fix_adds_the_parameter_once_for_several_draws():
    code = HEADER + """
    class TwoNoiseSampler:
        def __call__(self, x, sigma, **kwargs):
            a = torch.randn(x.shape)
            b = torch.rand(x.shape, device=x.device)
            return x + sigma * (a + b)
    """
    findings = lint(code, "RPL115")
    assert [f.start.line for f in findings] == [6, 7]
    assert findings[0].fix is findings[1].fix
    fixed = fix_source(textwrap.dedent(code), "example.py", Settings(select=("RPL115",)), unsafe=True).source
    assert "def __call__(self, x, sigma, generator=None, **kwargs):" in fixed
    assert "torch.randn(x.shape, generator=generator)" in fixed
    assert "torch.rand(x.shape, device=x.device, generator=generator)" in fixed
    compile(fixed, "fixed.py", "exec")


def test_no_fix_for_a_like_draw_with_other_arguments():
    code = HEADER + """
    class MySampler:
        def sample(self, x):
            return torch.randn_like(x, dtype=torch.float32)
    """
    (finding,) = lint(code, "RPL115")
    assert finding.fix is None


@pytest.mark.parametrize("body,flagged", [
    ("if noise is None:\n                noise = torch.randn_like(sample)", False),
    ("noise = noise if noise is not None else torch.randn_like(sample)", False),
    ("noise = default(noise, torch.randn_like(sample))", False),
    # a setting gates the draw: still the global RNG whenever it runs
    ("if churn > 0:\n                noise = torch.randn_like(sample)", True),
    ("noise = torch.randn_like(sample) if eta > 0 else 0", True),
])
def test_fallback_for_passed_noise_versus_a_gated_draw(body, flagged):
    code = HEADER + f"""
    class MyScheduler:
        def step(self, model_output, t, sample, noise=None, churn=0.0, eta=0.0):
            {body}
            return sample + noise
    """
    assert bool(codes(code, "RPL115")) is flagged
