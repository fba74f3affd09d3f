"""A pipeline class reprolint has no stand-in for."""
from diffusers import FluxPipeline

pipe = FluxPipeline.from_pretrained("black-forest-labs/FLUX.1-dev")
image = pipe("a fox in the snow", num_inference_steps=2).images[0]
