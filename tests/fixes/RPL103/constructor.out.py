import torch
from torch import Generator as Gen

g = torch.Generator("cpu").manual_seed(42)
h = Gen(
    device="cpu",  # meant as a seed
).manual_seed(7)
noise = torch.randn((1, 4), generator=g)
