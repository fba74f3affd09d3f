"""Validation images from a generator held by a state object of another module."""
import torch
from diffusers import StableDiffusionPipeline

from state import TrainState


class Validator:
    def __init__(self, pipe: StableDiffusionPipeline, seed: int):
        self.pipe = pipe
        self.state = TrainState(seed)

    def reseeded(self, prompts):
        images = []
        for prompt in prompts:
            self.state.generator.manual_seed(7)  # the same noise for every prompt, on purpose
            images.append(self.pipe(prompt, generator=self.state.generator).images[0])
        return images

    def drifting(self, prompts):
        images = []
        for prompt in prompts:
            images.append(self.pipe(prompt, generator=self.state.generator).images[0])  # expect: RPL102
        return images


if __name__ == "__main__":
    torch.manual_seed(0)
    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    validator = Validator(pipe, 0)
    validator.reseeded(["a cat", "a dog"])
    validator.drifting(["a cat", "a dog"])
