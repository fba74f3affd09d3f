import torch as T
from diffusers import StableDiffusionPipeline as SD

pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe(
    "a cat",
    generator=T.manual_seed(
        1234,  # the seed from the paper
    ),
).images[0]
