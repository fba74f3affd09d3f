import torch as T
from diffusers import StableDiffusionPipeline as SD

pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
latents = T.randn(
    (1, 4, 64, 64),
    device="cuda",
    generator=T.Generator("cuda").manual_seed(0),  # to be decided
)
image = pipe("a cat", latents=latents).images[0]
