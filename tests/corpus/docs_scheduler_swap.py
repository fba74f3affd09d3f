# Swapping schedulers on a loaded pipeline, as in the schedulers guide.
import torch
from diffusers import DiffusionPipeline, DPMSolverMultistepScheduler, DPMSolverSDEScheduler, EulerAncestralDiscreteScheduler
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
pipeline = DiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16)
pipeline.to("cuda")
prompt = "A photograph of an astronaut riding a horse on Mars, high resolution, high definition."

pipeline.scheduler = DPMSolverMultistepScheduler.from_config(pipeline.scheduler.config)
image = pipeline(prompt, generator=torch.Generator("cpu").manual_seed(8)).images[0]

pipeline.scheduler = EulerAncestralDiscreteScheduler.from_config(pipeline.scheduler.config)
image = pipeline(prompt, generator=torch.Generator("cpu").manual_seed(8)).images[0]

pipeline.scheduler = DPMSolverSDEScheduler.from_config(pipeline.scheduler.config)  # expect: RPL112
image = pipeline(prompt, generator=torch.Generator("cpu").manual_seed(8)).images[0]

pipeline.scheduler = DPMSolverSDEScheduler.from_config(pipeline.scheduler.config, noise_sampler_seed=8)
image = pipeline(prompt, generator=torch.Generator("cpu").manual_seed(8)).images[0]
