import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model").to("cuda")
g = torch.Generator('cpu').manual_seed(0)  # on the GPU
image = pipe("a cat", generator=g).images[0]
