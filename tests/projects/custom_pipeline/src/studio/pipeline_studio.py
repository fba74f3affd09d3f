from typing import Optional

import torch
from diffusers import StableDiffusionPipeline


class StudioPipeline(StableDiffusionPipeline):
    """Stable Diffusion with a house style prepended to every prompt."""

    house_style = "studio lighting, 85mm"

    def __call__(self, prompt, *args, **kwargs):
        return super().__call__(f"{self.house_style}, {prompt}", *args, **kwargs)


def load_pipeline(model_id: str, device: str = "cpu") -> StudioPipeline:
    pipe = StudioPipeline.from_pretrained(model_id, torch_dtype=torch.float32)
    return pipe.to(device)


def render(pipe, prompt: str, generator: Optional[torch.Generator] = None):
    return pipe(prompt, num_inference_steps=25, generator=generator).images[0]
