"""Generate one image; torch is never imported here."""
from diffusers import DiffusionPipeline
import torch

pipe = DiffusionPipeline.from_pretrained("some/model")
# one image, default settings
image = pipe("a cat", num_inference_steps=20, generator=torch.Generator("cpu").manual_seed(0)).images[0]
other = pipe(
    "a dog",
    height=512,
    generator=torch.Generator("cpu").manual_seed(0)
)
