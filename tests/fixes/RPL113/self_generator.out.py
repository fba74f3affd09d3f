import torch


class RandomCrop:
    def __init__(self, size, seed=0):
        self.size = size
        self.rng = torch.Generator().manual_seed(seed)

    def __call__(self, image):
        top = torch.randint(0, image.shape[-2] - self.size + 1, (1,), generator=self.rng).item()
        left = torch.randint(0, image.shape[-1] - self.size + 1, (1,), generator=self.rng).item()
        return image[..., top:top + self.size, left:left + self.size]
