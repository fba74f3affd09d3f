"""Pre-compute VAE latents for a folder of images (never seeded)."""
import torch
from diffusers import AutoencoderKL


def encode_all(images, seed):
    vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse")
    latents = [vae.encode(image).latent_dist.sample() for image in images]  # expect: RPL111
    torch.manual_seed(seed)
    again = [vae.encode(image).latent_dist.sample() for image in images]
    return latents, again


if __name__ == "__main__":
    encode_all([], 0)
