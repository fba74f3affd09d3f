"""A small image service that keeps its pipeline and generator on the instance."""

import torch
from diffusers import StableDiffusionPipeline


class ImageService:
    def __init__(self, model_id: str):
        self.pipe = StableDiffusionPipeline.from_pretrained(model_id)
        self.generator = torch.Generator("mps")

    def render(self, prompt: str):
        return self.pipe(prompt, generator=self.generator).images[0]

    def render_pair(self, prompt: str):
        first = self.pipe(prompt, generator=self.generator).images[0]
        second = self.pipe(prompt, generator=self.generator).images[0]
        return first, second


if __name__ == "__main__":
    service = ImageService("stable-diffusion-v1-5/stable-diffusion-v1-5")
    first, second = service.render_pair("a lighthouse at dusk")
    service.render("a lighthouse at dawn").save("dawn.png")
