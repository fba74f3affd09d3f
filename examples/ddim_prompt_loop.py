"""Unconditional DDIM sampling in a loop: one generator consumed by every iteration."""

import torch
from diffusers import DDIMPipeline

pipe = DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")

generator = torch.Generator("cpu").manual_seed(0)
for run in range(4):
    # Run 3 depends on runs 0-2: re-running it alone never gives the same image.
    image = pipe(generator=generator, num_inference_steps=50, eta=0.0).images[0]
    image.save(f"ddim_{run}.png")
