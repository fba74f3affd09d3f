"""Written for a GPU: the pipeline goes to CUDA and the generator is created there (RPL106),
with no determinism setup (RPL301)."""
import torch
from diffusers import DDPMPipeline

pipe = DDPMPipeline.from_pretrained("google/ddpm-cifar10-32").to("cuda")
generator = torch.Generator("cuda").manual_seed(0)
image = pipe(generator=generator, num_inference_steps=2, output_type="np").images[0]
print("mean", float(image.mean()))
