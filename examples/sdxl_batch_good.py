"""Batched SDXL generation where every image can be regenerated on its own."""

import torch
from diffusers import StableDiffusionXLPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16
).to("cuda")

prompt = "a watercolor painting of a lighthouse at dawn"
seeds = [11, 22, 33, 44]
generators = [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
images = pipe([prompt] * len(seeds), generator=generators).images
for seed, image in zip(seeds, images):
    image.save(f"lighthouse_{seed}.png")
