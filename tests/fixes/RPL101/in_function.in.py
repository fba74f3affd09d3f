import torch
import diffusers


def render(prompt):
    pipe = diffusers.DiffusionPipeline.from_pretrained("some/model").to("cuda")
    return pipe(prompt, guidance_scale=5.0, ).images[0]  # noqa: E202


while True:
    pipe = diffusers.AutoPipelineForText2Image.from_pretrained("some/model")
    image = pipe("a fox").images[0]
    break
