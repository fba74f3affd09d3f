import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
image = pipe("a cat", generator=torch.manual_seed(0)).images[0]
