"""Render the catalogue images with the studio pipeline."""
import torch

from studio import StudioPipeline
from studio.pipeline_studio import load_pipeline, render

pipe = load_pipeline("stable-diffusion-v1-5/stable-diffusion-v1-5")
hero = pipe("a red bicycle").images[0]  # expect: RPL101

studio = StudioPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
thumb = studio("a blue kettle").images[0]  # expect: RPL101

generator = torch.Generator("cpu").manual_seed(7)
first = render(pipe, "a green lamp", generator)
second = render(pipe, "a green lamp, side view", generator)  # expect: RPL102

fresh = render(pipe, "a yellow chair", torch.Generator("cpu").manual_seed(8))
