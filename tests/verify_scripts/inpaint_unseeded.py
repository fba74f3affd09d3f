"""Inpainting without a generator (RPL101): the masked region is redrawn differently each run."""
import torch
from diffusers import AutoPipelineForInpainting

pipe = AutoPipelineForInpainting.from_pretrained("stable-diffusion-v1-5/stable-diffusion-inpainting")
image = torch.full((1, 3, 64, 64), 0.5)
mask = torch.zeros(1, 1, 64, 64)
mask[..., 16:48, 16:48] = 1.0
result = pipe("a red door", image=image, mask_image=mask, num_inference_steps=2).images[0]
result.save("inpainted.png")
