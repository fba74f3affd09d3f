"""A batch of three prompts from one generator (RPL108): the batch reproduces as a whole, but the
third prompt run alone with the same seed gives another image."""
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
prompts = ["a red fox in snow", "a blue whale", "a green frog on a leaf"]
generator = torch.Generator("cpu").manual_seed(7)
images = pipe(prompts, generator=generator, num_inference_steps=2).images
for prompt, image in zip(prompts, images):
    image.save(prompt.replace(" ", "_") + ".png")
