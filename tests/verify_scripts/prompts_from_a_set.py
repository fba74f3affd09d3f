"""One image per prompt, seeded by position, over a set of prompts (RPL307): which prompt gets
which seed follows the set's hash order, which PYTHONHASHSEED changes from run to run."""
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
prompts = {"a red fox", "a blue whale", "a green frog", "a yellow bird"}
for index, prompt in enumerate(prompts):
    generator = torch.Generator("cpu").manual_seed(index)
    image = pipe(prompt, generator=generator, num_inference_steps=2).images[0]
    image.save(f"{index}.png")
