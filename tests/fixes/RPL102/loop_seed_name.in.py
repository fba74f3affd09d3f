import argparse

import torch
from diffusers import DiffusionPipeline

args = argparse.ArgumentParser().parse_args()
pipe = DiffusionPipeline.from_pretrained("some/model")
generator = torch.Generator(device="cpu").manual_seed(args.seed)
for prompt in ["a cat", "a dog"]:
    if prompt:
        image = pipe(prompt, generator=generator).images[0]
