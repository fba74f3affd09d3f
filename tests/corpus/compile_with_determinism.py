# Asking for determinism, then compiling and allowing TF32.
import torch
from diffusers import FluxPipeline
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
torch.set_float32_matmul_precision("high")  # expect: RPL305
torch.backends.cudnn.allow_tf32 = True  # expect: RPL305

pipe = FluxPipeline.from_pretrained("black-forest-labs/FLUX.1-schnell", torch_dtype=torch.bfloat16, device_map="balanced")
pipe.transformer = torch.compile(pipe.transformer)  # expect: RPL305
image = pipe("a tiny astronaut", num_inference_steps=4, generator=torch.Generator("cpu").manual_seed(0)).images[0]
