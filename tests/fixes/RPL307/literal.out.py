import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
generator = torch.Generator("cpu").manual_seed(0)
for prompt in sorted({"a cat", "a dog", "a fox"}):  # one image each
    pipe(prompt, generator=generator).images[0].save(f"{prompt}.png")
