import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
latents = torch.randn((1, 4, 64, 64), dtype=torch.float16, generator=torch.Generator("cpu").manual_seed(0))  # initial noise
image = pipe("a cat", latents=latents).images[0]
