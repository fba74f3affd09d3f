# The reproducible pattern from reusing_seeds.md: CPU generators, one per image, determinism on.
import torch
from diffusers import DDIMPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()

ddim = DDIMPipeline.from_pretrained("google/ddpm-cifar10-32", use_safetensors=True)
ddim.to("cuda")

generator = torch.Generator(device="cpu").manual_seed(0)
image = ddim(num_inference_steps=2, output_type="np", generator=generator).images
print(image.shape)

generators = [torch.Generator(device="cpu").manual_seed(i) for i in range(4)]
images = ddim(batch_size=4, num_inference_steps=2, generator=generators).images
