# The same loop as the diffusers "understanding pipelines" tutorial, missing the step generator.
import torch
from diffusers import DDPMScheduler, UNet2DModel

# No global seed either: the step noise below comes from an unseeded global RNG.
scheduler = DDPMScheduler.from_pretrained("google/ddpm-cat-256")
model = UNet2DModel.from_pretrained("google/ddpm-cat-256", use_safetensors=True).to("cuda")  # expect: RPL308
scheduler.set_timesteps(50)

sample_size = model.config.sample_size
noise = torch.randn((1, 3, sample_size, sample_size), device="cuda")  # expect: RPL202
input = noise

for t in scheduler.timesteps:
    with torch.no_grad():
        noisy_residual = model(input, t).sample
    previous_noisy_sample = scheduler.step(noisy_residual, t, input).prev_sample  # expect: RPL110
    input = previous_noisy_sample
