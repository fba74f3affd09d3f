# Quickstart in the style of the diffusers README: no generator, no determinism setup.
import torch
from diffusers import StableDiffusionPipeline

model_id = "stable-diffusion-v1-5/stable-diffusion-v1-5"
pipe = StableDiffusionPipeline.from_pretrained(model_id, torch_dtype=torch.float16)
pipe = pipe.to("cuda")  # expect: RPL308

prompt = "a photo of an astronaut riding a horse on mars"
image = pipe(prompt).images[0]  # expect: RPL101, RPL202
image.save("astronaut_rides_horse.png")
