"""Generate one image; nothing here records an expected output."""

import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
image.save("cat.png")
