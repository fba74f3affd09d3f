"""`--seed` tested for truth (RPL201): `--seed 0` gives no generator, so the run is unseeded."""
import argparse

import torch
from diffusers import DDIMPipeline

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=1234)
parser.add_argument("--steps", type=int, default=2)
args = parser.parse_args()

pipe = DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")
generator = torch.Generator("cpu").manual_seed(args.seed) if args.seed else None
images = pipe(batch_size=1, generator=generator, num_inference_steps=args.steps).images
images[0].save(f"seed_{args.seed}.png")
