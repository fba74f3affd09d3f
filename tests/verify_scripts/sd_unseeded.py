"""Text-to-image with Stable Diffusion, no generator: each run draws fresh noise (RPL101)."""
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("an astronaut riding a horse", num_inference_steps=2).images[0]
print("image size", image.size)
