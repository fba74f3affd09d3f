"""Reads its prompts from a file that is not there: the run raises before sampling."""
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32")
with open("prompts.txt") as handle:
    count = len(handle.read().splitlines())
images = pipe(batch_size=count, num_inference_steps=2).images
