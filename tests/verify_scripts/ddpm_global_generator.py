"""Seeding through torch.manual_seed: the returned object is torch's process-global generator
(RPL104)."""
import torch
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(generator=torch.manual_seed(0), num_inference_steps=2).images[0]
image.save("ddpm_global.png")
