# batched_inference.md, with the warned-about aliasing of one CUDA generator.
import torch
from diffusers import DiffusionPipeline

pipeline = DiffusionPipeline.from_pretrained(  # expect: RPL308
    "stabilityai/stable-diffusion-xl-base-1.0",
    torch_dtype=torch.float16,
).to("cuda")

prompts = [
    "cinematic photo of A beautiful sunset over mountains, 35mm photograph, film",
    "cinematic film still of a cat basking in the sun on a roof in Turkey",
    "pixel-art a cozy coffee shop interior, low-res, blocky, pixel art style",
]
generator = [torch.Generator(device="cuda").manual_seed(0)] * 3  # expect: RPL105
images = pipeline(prompt=prompts, generator=generator).images  # expect: RPL106

# The fix from the same page: one generator per prompt, on the CPU.
generators = [torch.Generator(device="cpu").manual_seed(i) for i in range(3)]
images = pipeline(prompt=prompts, generator=generators).images
