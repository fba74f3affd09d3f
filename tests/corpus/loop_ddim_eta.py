# DDIM is deterministic at eta=0 and stochastic above it.
import torch
from diffusers import DDIMScheduler, UNet2DModel
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
unet = UNet2DModel.from_pretrained("google/ddpm-cifar10-32").to("cuda")
scheduler = DDIMScheduler.from_pretrained("google/ddpm-cifar10-32")
scheduler.set_timesteps(25)
generator = torch.Generator("cpu").manual_seed(7)
latents = torch.randn((4, 3, 32, 32), generator=generator).to("cuda")


def denoise(latents, eta):
    for t in scheduler.timesteps:
        with torch.no_grad():
            eps = unet(latents, t).sample
        latents = scheduler.step(eps, t, latents, eta=eta).prev_sample
    return latents


deterministic = latents
for t in scheduler.timesteps:
    eps = unet(deterministic, t).sample
    deterministic = scheduler.step(eps, t, deterministic, eta=0.0).prev_sample

stochastic = latents
for t in scheduler.timesteps:
    eps = unet(stochastic, t).sample
    stochastic = scheduler.step(eps, t, stochastic, eta=1.0).prev_sample  # expect: RPL110
