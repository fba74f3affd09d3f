"""A render service that keeps the studio pipeline on ``self``."""
import torch

from studio import StudioPipeline


class RenderService:
    def __init__(self, model_id: str):
        self.pipe = StudioPipeline.from_pretrained(model_id)

    def render(self, prompt: str):
        return self.pipe(prompt).images[0]  # expect: RPL101

    def render_seeded(self, prompt: str, seed: int):
        generator = torch.Generator("cpu").manual_seed(seed)
        return self.pipe(prompt, generator=generator).images[0]
