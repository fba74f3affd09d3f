import torch as T
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe(
    "a cat",
    generator=args.seed,  # from the command line
).images[0]
