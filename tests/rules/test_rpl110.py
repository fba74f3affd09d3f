"""RPL110 stochastic-step-without-generator: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


def test_scheduler_bound_through_pipeline_attribute_and_local_name():
    code = """
        from diffusers import DiffusionPipeline, KDPM2AncestralDiscreteScheduler

        pipe = DiffusionPipeline.from_pretrained("m")
        pipe.scheduler = KDPM2AncestralDiscreteScheduler.from_config(pipe.scheduler.config)
        scheduler = pipe.scheduler
        x = scheduler.step(eps, t, x).prev_sample
        x = pipe.scheduler.step(eps, t, x, generator=g).prev_sample
    """
    assert codes(code, "RPL110") == [("RPL110", 6)]


@pytest.mark.parametrize("call,flagged", [
    ("TCDScheduler()", True),  # default eta=0.3
    ("TCDScheduler.from_config(cfg)", True),
    ("SASolverScheduler()", True),
    ("SASolverScheduler(tau_func=lambda t: 0)", False),
    ("DPMSolverMultistepScheduler(algorithm_type='sde-dpmsolver++')", True),
    ("DPMSolverMultistepScheduler(algorithm_type=kind)", False),
    ("DPMSolverMultistepScheduler.from_config(cfg, **overrides)", False),
    ("PNDMScheduler()", False),
    ("LTXEulerAncestralRFScheduler()", True),
    ("LTXEulerAncestralRFScheduler(eta=0.0)", False),
])
def test_stochastic_step_depends_on_class_and_settings(call, flagged):
    code = f"""
        from diffusers import *
        from diffusers import TCDScheduler, SASolverScheduler, DPMSolverMultistepScheduler, PNDMScheduler
        from diffusers import LTXEulerAncestralRFScheduler

        scheduler = {call}
        x = scheduler.step(eps, t, x).prev_sample
    """
    assert bool(codes(code, "RPL110")) is flagged


@pytest.mark.parametrize("step,flagged", [
    ("scheduler.step(eps, t, x, eta=0.0)", False),
    ("scheduler.step(eps, t, x)", True),
    ("scheduler.step(eps, t, x, eta=eta)", False),
    ("scheduler.step(eps, t, x, **extra_step_kwargs)", False),
    ("scheduler.step(eps, t, x, generator=g)", False),
])
def test_step_arguments_decide(step, flagged):
    code = f"""
        from diffusers import TCDScheduler

        scheduler = TCDScheduler()
        x = {step}.prev_sample
    """
    assert bool(codes(code, "RPL110")) is flagged


def test_scheduler_parameter_annotated_with_its_class():
    code = """
        from typing import Optional
        from diffusers import DDPMScheduler, SASolverScheduler

        def denoise(unet, scheduler: DDPMScheduler, x):
            for t in scheduler.timesteps:
                x = scheduler.step(unet(x, t).sample, t, x).prev_sample
            return x

        def denoise_sa(unet, scheduler: Optional[SASolverScheduler], x):
            return scheduler.step(unet(x, 0).sample, 0, x).prev_sample
    """
    assert codes(code, "RPL110,RPL112") == [("RPL110", 6)]


def test_ddim_variance_noise_supplies_the_noise():
    code = """
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler()
        x = scheduler.step(eps, t, x, eta=1.0, variance_noise=noise).prev_sample
    """
    assert codes(code, "RPL110") == []


def test_unknown_scheduler_is_silent():
    code = """
        x = pipe.scheduler.step(eps, t, x).prev_sample
        scheduler = make_scheduler()
        x = scheduler.step(eps, t, x).prev_sample
    """
    assert codes(code, "RPL110") == []
