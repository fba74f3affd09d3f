"""A checkpoint loaded from one .safetensors file, sampled without a generator (RPL101)."""
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_single_file("checkpoints/v1-5-pruned-emaonly.safetensors")
image = pipe("a watercolor fox", num_inference_steps=2).images[0]
image.save("fox.png")
