"""Generators threaded through every draw; seeded trainers; sets iterated in sorted order."""

import lightning as L
import torch
from diffusers.utils.torch_utils import randn_tensor


class Sampler:
    def __init__(self, seed: int = 0):
        self.generator = torch.Generator().manual_seed(seed)

    def noise(self, shape):
        return torch.randn(shape, generator=self.generator)


def add_noise(x, generator=None):
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    return x + torch.randn(x.shape, generator=generator)


def prepare_latents(shape, generator, device, dtype, latents=None):
    if latents is None:
        latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
    return latents


def init_weights(module):
    # no generator is held here: initialisation follows the global seed below
    torch.nn.init.normal_(module.weight, std=0.02)


def evaluate(pipe, prompts):
    results = {}
    for prompt in sorted(set(prompts)):
        results[prompt] = pipe(prompt, generator=torch.Generator("cpu").manual_seed(0)).images[0]
    for tag in {"draft", "final"}:
        print(tag)
    return results


if __name__ == "__main__":
    L.seed_everything(1234, workers=True)
    trainer = L.Trainer(max_epochs=1, deterministic=True)
    trainer.fit(model, loader)
