import torch as T
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
batch = 4
images = pipe(
    ["a cat"] * batch,
    generator=[T.Generator(device="cpu").manual_seed(seed + i) for i in range(batch)],  # one per image?
).images
