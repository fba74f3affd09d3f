"""Batched SDXL generation with the two classic batch mistakes."""

import torch
from diffusers import StableDiffusionXLPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0",
    torch_dtype=torch.float16,
    variant="fp16",
).to("cuda")

prompt = "a watercolor painting of a lighthouse at dawn"
# One CUDA generator, referenced four times: no image of the batch can be regenerated alone,
# and the noise depends on the GPU model.
generator = [torch.Generator(device="cuda").manual_seed(0)] * 4
images = pipe(prompt, num_images_per_prompt=4, generator=generator).images
for index, image in enumerate(images):
    image.save(f"lighthouse_{index}.png")
