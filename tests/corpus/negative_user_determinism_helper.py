# The project's own determinism helper, named in the settings (determinism-helpers).
import torch
from diffusers import StableDiffusion3Pipeline

from myproj.repro import make_deterministic, seed_all

make_deterministic()
seed_all(0)
pipe = StableDiffusion3Pipeline.from_pretrained("stabilityai/stable-diffusion-3-medium-diffusers", torch_dtype=torch.float16)
pipe = pipe.to("cuda")
image = pipe("a photo of a cat holding a sign", generator=torch.Generator("cpu").manual_seed(0)).images[0]
