# A throughput benchmark that deliberately switches determinism off (RPL306 is off by default).
import time

import torch
from diffusers import StableDiffusionPipeline

torch.use_deterministic_algorithms(False)  # expect: RPL306
torch.backends.cudnn.deterministic = False  # expect: RPL306
torch.utils.deterministic.fill_uninitialized_memory = False  # expect: RPL306
torch.backends.cudnn.benchmark = True  # expect: RPL303
torch.set_float32_matmul_precision("high")

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16)
pipe = pipe.to("cuda")  # expect: RPL308
pipe.unet = torch.compile(pipe.unet, mode="reduce-overhead", fullgraph=True)

generator = torch.Generator("cpu")
for _ in range(3):
    generator.manual_seed(0)
    start = time.perf_counter()
    pipe("benchmark prompt", num_inference_steps=30, generator=generator)
    print(time.perf_counter() - start)
