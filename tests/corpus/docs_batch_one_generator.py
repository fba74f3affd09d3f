# Several images per prompt from one generator (RPL108, off by default).
import torch
from diffusers import StableDiffusionXLPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
pipe = StableDiffusionXLPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16)
pipe.to("cuda")

generator = torch.Generator("cpu").manual_seed(0)
images = pipe("a watercolor fox", num_images_per_prompt=4, generator=generator).images  # expect: RPL108

generator.manual_seed(1)
images = pipe(["a fox", "a hare"] * 2, generator=generator).images  # expect: RPL108

generators = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
images = pipe("a watercolor fox", num_images_per_prompt=4, generator=generators).images
