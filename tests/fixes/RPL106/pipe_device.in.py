import torch as T
from diffusers import StableDiffusionPipeline as SD

pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
generator = T.Generator(
    device=pipe.device,
).manual_seed(3)
image = pipe("a cat", generator=generator).images[0]
