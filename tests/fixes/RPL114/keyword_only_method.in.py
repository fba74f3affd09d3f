from torch import Generator


class NoiseSampler:
    def __init__(self, shape, *, generator=Generator()): self.shape = shape; self.generator = generator

    def sample(self):
        import torch

        return torch.randn(self.shape, generator=self.generator)
