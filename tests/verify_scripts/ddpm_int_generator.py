"""A seed passed where the generator belongs (RPL103): the pipeline cannot use an int."""
import torch
from diffusers import DDPMPipeline

seed = 1234
pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
image = pipe(generator=seed, num_inference_steps=2).images[0]
