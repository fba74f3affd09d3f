# Seed handling snippets as they appear in notebooks and CLI wrappers.
import random

import torch
from diffusers import StableDiffusionPipeline

SEED = None
seed = SEED or random.randint(0, 2**32 - 1)  # expect: RPL201
use_seed = True
seeds = [0, 1, 2]

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
if seed:  # expect: RPL201
    generator = torch.Generator("cpu").manual_seed(seed)
if seed is not None and use_seed:
    generator = torch.Generator("cpu").manual_seed(seed)
if seeds:
    print(len(seeds))
while not seed:  # expect: RPL201
    seed = random.randint(0, 100)

images = [pipe("a lighthouse", generator=torch.Generator("cpu").manual_seed(s)).images[0] for s in seeds]
