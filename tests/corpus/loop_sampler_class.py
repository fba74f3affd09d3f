# A sampler class around a custom loop: the scheduler lives on self.
import torch
from diffusers import DDPMScheduler, DPMSolverSDEScheduler, UNet2DModel


class Sampler:
    def __init__(self, repo: str, seed: int = 0):
        self.unet = UNet2DModel.from_pretrained(repo)
        self.scheduler = DDPMScheduler.from_pretrained(repo)
        self.sde = DPMSolverSDEScheduler(use_karras_sigmas=True)  # expect: RPL112
        self.generator = torch.Generator("cpu").manual_seed(seed)

    @torch.no_grad()
    def sample(self, shape):
        x = torch.randn(shape, generator=self.generator)
        for t in self.scheduler.timesteps:
            x = self.scheduler.step(self.unet(x, t).sample, t, x, generator=self.generator).prev_sample
        return x

    @torch.no_grad()
    def sample_fast(self, shape):
        x = torch.randn(shape, generator=self.generator)
        for t in self.scheduler.timesteps:
            x = self.scheduler.step(self.unet(x, t).sample, t, x).prev_sample  # expect: RPL110
        return x
