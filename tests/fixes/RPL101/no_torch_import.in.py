"""Generate one image; torch is never imported here."""
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
# one image, default settings
image = pipe("a cat", num_inference_steps=20).images[0]
other = pipe(
    "a dog",
    height=512
)
