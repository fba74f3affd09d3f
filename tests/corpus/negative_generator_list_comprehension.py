# A list comprehension builds distinct generators: no aliasing.
import torch
from diffusers import DiffusionPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
pipeline = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16)
pipeline.to("cuda")

batch_size = 4
base_seed = 31
generator = [torch.Generator("cpu").manual_seed(base_seed + i) for i in range(batch_size)]
images = pipeline("a mountain lake", num_images_per_prompt=batch_size, generator=generator).images

regenerated = pipeline("a mountain lake", generator=torch.Generator("cpu").manual_seed(base_seed + 2)).images[0]
