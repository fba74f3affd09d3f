import torch
from diffusers import ConfigMixin, SchedulerMixin


class AncestralFlowScheduler(SchedulerMixin, ConfigMixin):
    def step(self, model_output, timestep, sample, return_dict: bool = True):
        sigma, sigma_next = self.sigmas[self.step_index], self.sigmas[self.step_index + 1]
        prev_sample = sample + (sigma_next - sigma) * model_output
        noise = torch.randn(
            prev_sample.shape,
            dtype=prev_sample.dtype,
            device=prev_sample.device,
        )
        return prev_sample + noise * sigma_next
