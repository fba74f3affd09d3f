"""Sample a few batches with one generator: every batch after the first depends on the ones
before it (RPL102)."""
import torch
from diffusers import DDIMPipeline

pipe = DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")
generator = torch.Generator("cpu").manual_seed(42)
for batch in range(2):
    images = pipe(batch_size=1, generator=generator, num_inference_steps=2).images
    images[0].save(f"ddim_{batch}.png")
