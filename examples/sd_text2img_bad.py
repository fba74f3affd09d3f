"""Text-to-image with Stable Diffusion, written the way many tutorials do: irreproducible."""

import torch
from diffusers import StableDiffusionPipeline

model_id = "stable-diffusion-v1-5/stable-diffusion-v1-5"
pipe = StableDiffusionPipeline.from_pretrained(model_id, torch_dtype=torch.float16)
pipe = pipe.to("cuda")

prompt = "a photo of an astronaut riding a horse on mars"
image = pipe(prompt, num_inference_steps=30).images[0]
image.save("astronaut.png")

# "Seeding" the second image: the pipeline takes no seed, so this is still random.
image = pipe(prompt, seed=1234).images[0]
image.save("astronaut_seeded.png")
