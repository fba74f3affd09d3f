import torch
from torch import Generator as Gen

g = torch.Generator(42)
h = Gen(
    device=7,  # meant as a seed
)
noise = torch.randn((1, 4), generator=g)
