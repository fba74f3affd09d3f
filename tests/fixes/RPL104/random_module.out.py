import torch.random
from torch import Generator
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
for seed in range(3):
    # seeded, but globally
    pipe("a cat", generator=Generator("cpu").manual_seed(seed))
