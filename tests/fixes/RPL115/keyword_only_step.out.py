import torch
from diffusers.schedulers.scheduling_utils import SchedulerMixin


class StochasticScheduler(SchedulerMixin):
    def step(self, model_output, timestep, sample, *, churn: float = 0.0, generator=None, **kwargs):
        if churn > 0:
            sample = sample + churn * torch.rand(sample.shape, device=sample.device, generator=generator)
        return sample - model_output
