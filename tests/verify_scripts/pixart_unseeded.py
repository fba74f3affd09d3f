"""A transformer-based pipeline (PixArt-alpha) without a generator (RPL101)."""
from diffusers import PixArtAlphaPipeline

pipe = PixArtAlphaPipeline.from_pretrained("PixArt-alpha/PixArt-XL-2-512x512")
image = pipe("a small cactus with a happy face", num_inference_steps=2).images[0]
image.save("cactus.png")
