"""Fast pipeline tests that compare against stored slices (diffusers' test style)."""

import numpy as np
import torch
from diffusers import DDIMScheduler, StableDiffusionPipeline


def check_stable_diffusion_ddim(components):
    pipe = StableDiffusionPipeline(**components)
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    generator = torch.Generator("cpu").manual_seed(0)
    image = pipe("a photo", generator=generator, num_inference_steps=2, output_type="np").images
    image_slice = image[0, -3:, -3:, -1]
    expected_slice = np.array([0.5643, 0.6017, 0.4799, 0.5267, 0.5584, 0.4641, 0.5210, 0.4947, 0.4869])
    assert np.abs(image_slice.flatten() - expected_slice).max() < 1e-2
