"""SDXL text-to-image without a generator (RPL101)."""
import torch
from diffusers import StableDiffusionXLPipeline

pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float32, use_safetensors=True
)
image = pipe(prompt="a lighthouse at dawn, film photo", num_inference_steps=2).images[0]
image.save("lighthouse.png")
