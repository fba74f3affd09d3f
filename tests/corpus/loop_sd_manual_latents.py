# Hand-made latents passed to a pipeline: the pipeline's own generator no longer decides them.
import torch
from diffusers import StableDiffusionPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16)
pipe = pipe.to("cuda")

height, width = 512, 512
shape = (1, pipe.unet.config.in_channels, height // pipe.vae_scale_factor, width // pipe.vae_scale_factor)

latents = torch.randn(shape, dtype=torch.float16)
image = pipe("a red bicycle", latents=latents.to("cuda")).images[0]  # expect: RPL109

generator = torch.Generator("cpu").manual_seed(3)
seeded_latents = torch.randn(shape, generator=generator, dtype=torch.float16)
image = pipe("a red bicycle", latents=seeded_latents.to("cuda")).images[0]
