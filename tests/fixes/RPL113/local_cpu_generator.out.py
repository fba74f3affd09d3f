import torch


def make_batch(n, seed):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand((n, 3, 64, 64), generator=generator)
    masks = torch.rand((n, 1, 64, 64), generator=generator) > 0.5
    return images, masks
