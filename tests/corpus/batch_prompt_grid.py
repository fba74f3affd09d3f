"""Render a grid of styles for a set of subjects, one seeded image per cell."""

import argparse

import torch
from diffusers import StableDiffusionPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

STYLES = ["watercolor", "pencil sketch", "oil painting", "watercolor"]


def sample_noise(shape, generator=torch.Generator().manual_seed(0)):  # expect: RPL114
    return torch.randn(shape, generator=generator)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", default="a cat,a dog,a fox")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    pipe = pipe.to("cuda")

    subjects = set(args.subjects.split(","))
    generator = torch.Generator("cpu").manual_seed(args.seed)
    for subject in subjects:  # expect: RPL307
        image = pipe(subject, generator=generator).images[0]  # expect: RPL102
        image.save(f"{subject}.png")

    for i, style in enumerate(set(STYLES)):  # expect: RPL307
        generator = torch.Generator("cpu").manual_seed(args.seed + i)
        pipe(f"a lighthouse, {style}", generator=generator).images[0].save(f"{style}.png")

    for style in sorted(set(STYLES)):
        generator = torch.Generator("cpu").manual_seed(args.seed)
        pipe(f"a harbour, {style}", generator=generator).images[0].save(f"harbour-{style}.png")

    for steps in {20, 30, 50}:
        generator = torch.Generator("cpu").manual_seed(args.seed)
        pipe("a boat", num_inference_steps=steps, generator=generator).images[0].save(f"boat-{steps}.png")


if __name__ == "__main__":
    main()
