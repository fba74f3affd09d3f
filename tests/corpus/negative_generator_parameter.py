# The pipeline call lives in a function that receives its generator from the caller.
import torch
from diffusers import StableDiffusionXLPipeline
from diffusers.utils.torch_utils import enable_full_determinism


def generate(pipe: StableDiffusionXLPipeline, prompt: str, generator: torch.Generator, steps: int = 30):
    return pipe(prompt, num_inference_steps=steps, generator=generator).images[0]


def generate_many(pipe, prompts, seed):
    return [generate(pipe, p, torch.Generator("cpu").manual_seed(seed + i)) for i, p in enumerate(prompts)]


if __name__ == "__main__":
    enable_full_determinism()
    pipe = StableDiffusionXLPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0").to("cuda")
    first = generate(pipe, "a red fox", torch.Generator("cpu").manual_seed(0))
    second = generate(pipe, "a blue fox", torch.Generator("cpu").manual_seed(1))
    many = generate_many(pipe, ["a", "b"], 10)
