"""Validation state and generator helpers, used by the scripts of this project."""
import torch


class ValidationState:
    def __init__(self, seed: int):
        self.step = 0
        self.generator = torch.Generator(device="cuda").manual_seed(seed)


class PortableState:
    def __init__(self, seed: int):
        self.generator = torch.Generator("cpu").manual_seed(seed)


class LazyState:
    def __init__(self, seed: int):
        self.seed = seed
        self.generator = None

    def reset(self):
        self.generator = torch.Generator("cuda")
        self.generator.manual_seed(self.seed)

    def describe(self):
        return f"seed {self.seed}"


def make_generator(seed: int):
    return torch.Generator(device="cuda").manual_seed(seed)


def make_portable_generator(seed: int):
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def encode_latents(vae, images):
    return vae.encode(images).latent_dist
