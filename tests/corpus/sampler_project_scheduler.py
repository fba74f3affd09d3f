# An examples collection's own scheduler, used by scripts that pass seed=42 to the pipeline.
from dataclasses import dataclass

import torch
from diffusers import ConfigMixin, SchedulerMixin
from diffusers.configuration_utils import register_to_config
from diffusers.utils import BaseOutput


@dataclass
class AncestralOutput(BaseOutput):
    prev_sample: torch.Tensor


class AncestralFlowScheduler(SchedulerMixin, ConfigMixin):
    order = 1

    @register_to_config
    def __init__(self, num_train_timesteps: int = 1000, s_noise: float = 1.0):
        self.sigmas = torch.linspace(1.0, 0.0, num_train_timesteps + 1)
        self.step_index = 0

    def set_timesteps(self, num_inference_steps: int, device=None):
        self.sigmas = torch.linspace(1.0, 0.0, num_inference_steps + 1, device=device)
        self.timesteps = self.sigmas[:-1] * self.config.num_train_timesteps
        self.step_index = 0

    def step(self, model_output, timestep, sample, return_dict: bool = True):
        sigma, sigma_next = self.sigmas[self.step_index], self.sigmas[self.step_index + 1]
        denoised = sample - sigma * model_output
        sigma_up = min(sigma_next, (sigma_next**2 * (sigma**2 - sigma_next**2) / sigma**2) ** 0.5)
        sigma_down = (sigma_next**2 - sigma_up**2) ** 0.5
        prev_sample = denoised + (sample - denoised) / sigma * sigma_down
        noise = torch.randn(prev_sample.shape, dtype=prev_sample.dtype, device=prev_sample.device)  # expect: RPL115
        prev_sample = prev_sample + noise * sigma_up * self.config.s_noise
        self.step_index += 1
        if not return_dict:
            return (prev_sample,)
        return AncestralOutput(prev_sample=prev_sample)


class SeededFlowScheduler(SchedulerMixin, ConfigMixin):
    """The same step done right: the pipeline's generator reaches the noise."""

    def step(self, model_output, timestep, sample, generator=None, return_dict: bool = True):
        noise = torch.randn(sample.shape, generator=generator, dtype=sample.dtype, device=sample.device)
        return AncestralOutput(prev_sample=sample - model_output + noise)


class InjectableNoiseSampler:
    """The caller may pass the noise: the draw is only a fallback."""

    def __call__(self, x, sigma, noise=None):
        if noise is None:
            noise = torch.randn_like(x)
        return x + sigma * noise


class LatentSampler:
    def sample(self, shape, seed: int):
        torch.manual_seed(seed)
        return torch.randn(shape)
