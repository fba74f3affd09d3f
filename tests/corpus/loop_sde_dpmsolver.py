# DPM-Solver++ in its SDE variant draws noise in step; the ODE variant does not.
import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from diffusers.utils.torch_utils import enable_full_determinism, randn_tensor

enable_full_determinism()
repo = "stable-diffusion-v1-5/stable-diffusion-v1-5"
unet = UNet2DConditionModel.from_pretrained(repo, subfolder="unet").to("cuda")
vae = AutoencoderKL.from_pretrained(repo, subfolder="vae").to("cuda")
ode = DPMSolverMultistepScheduler.from_pretrained(repo, subfolder="scheduler")
sde = DPMSolverMultistepScheduler.from_pretrained(repo, subfolder="scheduler", algorithm_type="sde-dpmsolver++")
generator = torch.Generator("cpu").manual_seed(11)


def run(scheduler, text_embeddings, pass_generator):
    latents = randn_tensor((1, 4, 64, 64), generator=generator, device=torch.device("cuda"))
    scheduler.set_timesteps(20)
    for t in scheduler.timesteps:
        noise_pred = unet(latents, t, encoder_hidden_states=text_embeddings).sample
        if pass_generator:
            latents = scheduler.step(noise_pred, t, latents, generator=generator).prev_sample
        else:
            latents = scheduler.step(noise_pred, t, latents).prev_sample
    return vae.decode(latents / vae.config.scaling_factor).sample


scheduler = sde
scheduler.set_timesteps(20)
latents = randn_tensor((1, 4, 64, 64), generator=generator, device=torch.device("cuda"))
for t in scheduler.timesteps:
    noise_pred = unet(latents, t, encoder_hidden_states=embeddings).sample
    latents = scheduler.step(noise_pred, t, latents).prev_sample  # expect: RPL110

for t in ode.timesteps:
    noise_pred = unet(latents, t, encoder_hidden_states=embeddings).sample
    latents = ode.step(noise_pred, t, latents).prev_sample
