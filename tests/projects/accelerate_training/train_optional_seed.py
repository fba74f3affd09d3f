"""Seeds only when --seed is given: a run without it draws unseeded latents."""
import argparse

from accelerate.utils import set_seed
from diffusers import AutoencoderKL


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.seed is not None:
        set_seed(args.seed)
    vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse")
    for batch in load_batches():
        latents = vae.encode(batch).latent_dist.sample()  # expect: RPL111
        yield latents


def load_batches():
    return []


if __name__ == "__main__":
    main()
