import torch as T
from diffusers import StableDiffusionPipeline as SD

pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
g = T.Generator("cpu").manual_seed(1234)
first = pipe("a cat", generator=g).images[0]

# the second image must not depend on the first
g.manual_seed(1234)
second = pipe(
    "a dog",
    generator=g,  # same generator
).images[0]
