# Flux-style sampling helpers: the initial noise, and how the seed is chosen.
import random

import torch


def get_noise(num_samples: int, height: int, width: int, seed: int):
    return torch.randn(
        num_samples,
        16,
        2 * ((height + 15) // 16),
        2 * ((width + 15) // 16),
        device="cuda",
        dtype=torch.bfloat16,
        generator=torch.Generator(device="cuda").manual_seed(seed),  # expect: RPL106
    )


def get_noise_portable(num_samples: int, height: int, width: int, seed: int, device: str):
    noise = torch.randn(
        num_samples, 16, height // 8, width // 8,
        generator=torch.Generator("cpu").manual_seed(seed),
    )
    return noise.to(device)


def resolve_seed(seed: int = 0) -> int:
    # The UI documents 0 as "random": seed 0 can then never be reproduced.
    return seed if seed > 0 else random.randint(1, 2**31 - 1)  # expect: RPL201


def resolve_seed_sentinel(seed: int = -1) -> int:
    # -1 as the random sentinel: 0 is a seed like any other.
    if seed < 0:
        seed = random.randint(0, 2**31 - 1)
    return seed


def prepare(model, shape, seed: int = 0):
    if seed <= 0:  # expect: RPL201
        seed = random.randint(0, 2**31 - 1)
    x = get_noise_portable(1, shape[0], shape[1], seed, "cuda")
    for t in range(50):
        x = model(x, t)
    return x
