"""A loop over prompts where every image is reproducible on its own."""

import torch
from diffusers import AutoPipelineForText2Image

pipe = AutoPipelineForText2Image.from_pretrained("stabilityai/sdxl-turbo")

prompts = ["a red fox in snow", "a lighthouse at dawn", "a bowl of ramen"]
for index, prompt in enumerate(prompts):
    generator = torch.Generator("cpu").manual_seed(1000 + index)
    image = pipe(prompt, num_inference_steps=1, guidance_scale=0.0, generator=generator).images[0]
    image.save(f"turbo_{index}.png")
