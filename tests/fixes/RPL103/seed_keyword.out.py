from diffusers import DiffusionPipeline
import torch

pipe = DiffusionPipeline.from_pretrained("some/model")
image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(42)).images[0]
images = pipe(
    "a dog",
    num_images_per_prompt=2,
    generator=torch.Generator("cpu").manual_seed(seed),  # dropped by **kwargs
).images
