"""A hand-written denoising loop that threads one seeded generator through every draw."""

import torch
from diffusers import DDPMScheduler, UNet2DModel

scheduler = DDPMScheduler.from_pretrained("google/ddpm-cat-256")
model = UNet2DModel.from_pretrained("google/ddpm-cat-256")
scheduler.set_timesteps(50)

generator = torch.Generator("cpu").manual_seed(0)
sample = torch.randn((1, 3, 256, 256), generator=generator)
for t in scheduler.timesteps:
    with torch.no_grad():
        residual = model(sample, t).sample
    sample = scheduler.step(residual, t, sample, generator=generator).prev_sample
