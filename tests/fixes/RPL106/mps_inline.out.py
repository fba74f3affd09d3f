import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model").to("mps")
image = pipe(
    "a cat",
    generator=torch.Generator("cpu").manual_seed(5),
).images[0]
