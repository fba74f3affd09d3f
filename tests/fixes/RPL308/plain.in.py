import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
pipe = pipe.to("cuda")
image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
