"""Two generators that are never given a fixed seed (RPL107): one seeded from the OS with
`.seed()`, one not seeded at all."""
import torch
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")

entropy = torch.Generator("cpu")
entropy.seed()
first = pipe(generator=entropy, num_inference_steps=2).images[0]

default = torch.Generator("cpu")
second = pipe(generator=default, num_inference_steps=2).images[0]
