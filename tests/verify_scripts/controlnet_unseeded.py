"""ControlNet-guided text-to-image, no generator (RPL101); the ControlNet is loaded on its own."""
import torch
from diffusers import ControlNetModel, StableDiffusionControlNetPipeline

controlnet = ControlNetModel.from_pretrained("lllyasviel/sd-controlnet-canny")
pipe = StableDiffusionControlNetPipeline.from_pretrained(
    "stable-diffusion-v1-5/stable-diffusion-v1-5", controlnet=controlnet)
edges = torch.zeros(1, 3, 64, 64)
edges[..., 32, :] = 1.0
image = pipe("a house by a lake", image=edges, num_inference_steps=2).images[0]
image.save("controlnet.png")
