"""A hand-written DDPM sampling loop: the initial noise is seeded, but the scheduler's own noise
at each step comes from the global RNG (RPL110)."""
import torch
from diffusers import DDPMPipeline, DDPMScheduler

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
unet = pipe.unet
scheduler = DDPMScheduler(num_train_timesteps=1000)
scheduler.set_timesteps(2)

generator = torch.Generator("cpu").manual_seed(0)
sample = torch.randn((1, 3, 8, 8), generator=generator)
for t in scheduler.timesteps:
    with torch.no_grad():
        noise_pred = unet(sample, t).sample
    sample = scheduler.step(noise_pred, t, sample).prev_sample
print(float(sample.abs().mean()))
