"""A command-line sampler that passes the seed where a generator belongs."""

import argparse

import torch
from diffusers import DiffusionPipeline


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="stable-diffusion-v1-5/stable-diffusion-v1-5")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    pipe = DiffusionPipeline.from_pretrained(args.model)
    image = pipe(args.prompt, generator=args.seed).images[0]
    # torch.Generator's first argument is a device, not a seed.
    generator = torch.Generator(args.seed)
    image = pipe(args.prompt, generator=generator).images[0]
    image.save("out.png")


if __name__ == "__main__":
    main()
