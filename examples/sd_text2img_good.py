"""The same script, reproducible: deterministic kernels and a seeded CPU generator per image."""

import torch
from diffusers import StableDiffusionPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

model_id = "stable-diffusion-v1-5/stable-diffusion-v1-5"
pipe = StableDiffusionPipeline.from_pretrained(model_id, torch_dtype=torch.float16).to("cuda")

prompt = "a photo of an astronaut riding a horse on mars"
generator = torch.Generator("cpu").manual_seed(1234)
image = pipe(prompt, num_inference_steps=30, generator=generator).images[0]
image.save("astronaut.png")
