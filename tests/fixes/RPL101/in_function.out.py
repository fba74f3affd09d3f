import torch
import diffusers
import itertools


def render(prompt):
    pipe = diffusers.DiffusionPipeline.from_pretrained("some/model").to("cuda")
    return pipe(prompt, guidance_scale=5.0, generator=torch.Generator("cpu").manual_seed(0), ).images[0]  # noqa: E202


generator_seeds = itertools.count(0)
while True:
    pipe = diffusers.AutoPipelineForText2Image.from_pretrained("some/model")
    image = pipe("a fox", generator=torch.Generator("cpu").manual_seed(next(generator_seeds))).images[0]
    break
