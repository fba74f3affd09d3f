"""Four images of one prompt from a list that holds one seeded generator four times (RPL105): the
images share one stream, so no image after the first can be regenerated alone."""
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
generators = [torch.Generator("cpu").manual_seed(0)] * 4
images = pipe("a lighthouse at dusk", num_images_per_prompt=4, generator=generators,
              num_inference_steps=2).images
for index, image in enumerate(images):
    image.save(f"lighthouse_{index}.png")
