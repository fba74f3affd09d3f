"""Latent caching, written the three ways real training code samples a VAE's posterior."""
from ldm.distributions import DiagonalGaussianDistribution


def cache_project_vae(vae, images):
    return vae.encode(images).sample() * 0.18215  # expect: RPL111


def cache_diffusers_vae(vae, images):
    return vae.encode(images)[0].sample() * vae.config.scaling_factor  # expect: RPL111


def from_moments(moments):
    return DiagonalGaussianDistribution(moments).sample()  # expect: RPL111


def cache_seeded(vae, images, generator):
    return vae.encode(images).sample(generator=generator)


def cache_mode(vae, images):
    return vae.encode(images).mode()
