import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
template = torch.zeros((1, 4, 64, 64))
for i in range(3):
    # a new start every time
    noise = torch.randn_like(template)
    pipe("a cat", latents=noise).images[0].save(f"{i}.png")
