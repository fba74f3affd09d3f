# Inpainting where the seed is passed where a generator belongs.
import torch
from diffusers import StableDiffusionInpaintPipeline
from diffusers.utils import load_image
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

pipe = StableDiffusionInpaintPipeline.from_pretrained(
    "stable-diffusion-v1-5/stable-diffusion-inpainting", torch_dtype=torch.float16
).to("cuda")

image = load_image("https://example.com/overture-creations.png").resize((512, 512))
mask_image = load_image("https://example.com/overture-creations-mask.png").resize((512, 512))
prompt = "Face of a yellow cat, high resolution, sitting on a park bench"

seed = 1234
out = pipe(prompt=prompt, image=image, mask_image=mask_image, generator=seed).images[0]  # expect: RPL103
out = pipe(prompt=prompt, image=image, mask_image=mask_image, seed=seed).images[0]  # expect: RPL101, RPL103
g = torch.Generator(seed)  # expect: RPL103
