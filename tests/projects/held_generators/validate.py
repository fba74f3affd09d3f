"""Validation images drawn with generators that the state module makes and keeps."""
import torch
from diffusers import StableDiffusionPipeline

from state import LazyState, PortableState, ValidationState, encode_latents, make_generator, make_portable_generator

PROMPTS = ["a cat", "a dog"]


def validate_with_state(pipe: StableDiffusionPipeline, seed):
    state = ValidationState(seed)
    images = []
    for prompt in PROMPTS:
        images.append(pipe(prompt, generator=state.generator).images[0])  # expect: RPL106, RPL102
    return images


def validate_reseeded(pipe: StableDiffusionPipeline, seed):
    state = ValidationState(seed)
    images = []
    for prompt in PROMPTS:
        state.generator.manual_seed(seed)
        images.append(pipe(prompt, generator=state.generator).images[0])  # expect: RPL106
    return images


def validate_portable(pipe: StableDiffusionPipeline, seed):
    state = PortableState(seed)
    state.generator.manual_seed(seed)
    first = pipe(PROMPTS[0], generator=state.generator).images[0]
    state.generator.manual_seed(seed)
    second = pipe(PROMPTS[1], generator=state.generator).images[0]
    return first, second


def validate_lazy(pipe: StableDiffusionPipeline, seed):
    state = LazyState(seed)
    state.reset()
    return pipe(PROMPTS[0], generator=state.generator).images[0]  # expect: RPL106


def validate_reset_each_time(pipe: StableDiffusionPipeline, seed):
    state = LazyState(seed)
    images = []
    for prompt in PROMPTS:
        state.reset()
        images.append(pipe(prompt, generator=state.generator).images[0])  # expect: RPL106
    return images


def validate_without_reset(pipe: StableDiffusionPipeline, seed):
    state = LazyState(seed)
    state.reset()
    images = []
    for prompt in PROMPTS:
        state.describe()
        images.append(pipe(prompt, generator=state.generator).images[0])  # expect: RPL106, RPL102
    return images


def validate_with_helper(pipe: StableDiffusionPipeline, seed):
    generator = make_generator(seed)
    return pipe(PROMPTS[0], generator=generator).images[0]  # expect: RPL106


def validate_with_portable_helper(pipe: StableDiffusionPipeline, seed):
    generator = make_portable_generator(seed)
    return pipe(PROMPTS[0], generator=generator).images[0]


class LocalState:
    def __init__(self, seed):
        self.generator = torch.Generator("cuda").manual_seed(seed)


def validate_local_state(pipe: StableDiffusionPipeline, seed):
    state = LocalState(seed)
    return pipe(PROMPTS[0], generator=state.generator).images[0]  # expect: RPL106


def cache_latents(vae, images):
    return encode_latents(vae, images).sample() * vae.config.scaling_factor  # expect: RPL111


def cache_latents_seeded(vae, images, seed):
    return encode_latents(vae, images).sample(generator=make_portable_generator(seed))


class Validator:
    def __init__(self, pipe: StableDiffusionPipeline, seed: int):
        self.pipe = pipe
        self.state = ValidationState(seed)

    def drifting(self):
        return [self.pipe(p, generator=self.state.generator).images[0] for p in PROMPTS]  # expect: RPL106, RPL102

    def reseeded(self, seed):
        images = []
        for prompt in PROMPTS:
            self.state.generator.manual_seed(seed)
            images.append(self.pipe(prompt, generator=self.state.generator).images[0])  # expect: RPL106
        return images


if __name__ == "__main__":
    torch.manual_seed(0)
    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    validate_with_state(pipe, 0)
    Validator(pipe, 0).drifting()
