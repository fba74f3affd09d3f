"""A sampling function that takes a seeded generator but draws its initial noise without it
(RPL113): the seed controls the scheduler's noise, not the starting latents."""
import torch
from diffusers import DDPMScheduler, UNet2DModel

unet = UNet2DModel.from_pretrained("google/ddpm-cifar10-32")
scheduler = DDPMScheduler(num_train_timesteps=1000)


def sample(unet, scheduler, generator, steps=2):
    size = unet.config.sample_size
    latents = torch.randn((1, unet.config.in_channels, size, size))
    scheduler.set_timesteps(steps)
    for t in scheduler.timesteps:
        with torch.no_grad():
            noise = unet(latents, t).sample
        latents = scheduler.step(noise, t, latents, generator=generator).prev_sample
    return latents


image = sample(unet, scheduler, torch.Generator("cpu").manual_seed(0))
print("sample mean", float(image.mean()))
