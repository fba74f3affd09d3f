# A custom DDPM denoising loop that threads one seeded generator through every draw (correct).
import torch
from diffusers import DDPMScheduler, UNet2DModel
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

scheduler = DDPMScheduler.from_pretrained("google/ddpm-cat-256")
model = UNet2DModel.from_pretrained("google/ddpm-cat-256", use_safetensors=True).to("cuda")
scheduler.set_timesteps(50)

generator = torch.Generator("cpu").manual_seed(0)
sample_size = model.config.sample_size
noise = torch.randn((1, 3, sample_size, sample_size), generator=generator).to("cuda")
sample = noise

for t in scheduler.timesteps:
    with torch.no_grad():
        residual = model(sample, t).sample
    sample = scheduler.step(residual, t, sample, generator=generator).prev_sample
