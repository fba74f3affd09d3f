import torch
from diffusers import DDPMScheduler

scheduler = DDPMScheduler.from_pretrained("google/ddpm-cat-256")
sample = torch.randn((1, 3, 256, 256), generator=torch.Generator("cpu").manual_seed(0))
step_generator = torch.Generator("cpu").manual_seed(0)
for t in scheduler.timesteps:
    model_output = model(sample, t).sample
    # one denoising step
    sample = scheduler.step(model_output, t, sample, generator=step_generator).prev_sample
