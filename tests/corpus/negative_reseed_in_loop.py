# One generator, re-seeded before every call in the loop: each image reproducible alone.
import torch
from diffusers import StableDiffusionPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
generator = torch.Generator("cpu")
prompts = ["a castle", "a forest", "a river"]

for index, prompt in enumerate(prompts):
    generator.manual_seed(1000 + index)
    image = pipe(prompt, generator=generator).images[0]
    image.save(f"{index}.png")

for seed in range(3):
    g = torch.Generator("cpu").manual_seed(seed)
    pipe("a castle", generator=g)
