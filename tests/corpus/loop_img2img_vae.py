# A hand-written img2img: encode with the VAE, noise, denoise.
import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
from diffusers.utils.torch_utils import enable_full_determinism

enable_full_determinism()
repo = "stabilityai/stable-diffusion-2-1"
vae = AutoencoderKL.from_pretrained(repo, subfolder="vae").to("cuda")
unet = UNet2DConditionModel.from_pretrained(repo, subfolder="unet").to("cuda")
scheduler = EulerDiscreteScheduler.from_pretrained(repo, subfolder="scheduler")

generator = torch.Generator("cpu").manual_seed(5)
with torch.no_grad():
    posterior = vae.encode(init_image).latent_dist
    init_latents = posterior.sample()  # expect: RPL111
    init_latents = vae.encode(init_image).latent_dist.sample(generator)
    init_latents = vae.encode(init_image).latent_dist.mode() * vae.config.scaling_factor

noise = torch.randn(init_latents.shape, generator=generator).to("cuda")
latents = scheduler.add_noise(init_latents, noise, scheduler.timesteps[:1])
for t in scheduler.timesteps:
    noise_pred = unet(latents, t, encoder_hidden_states=text_embeddings).sample
    latents = scheduler.step(noise_pred, t, latents).prev_sample
    latents = scheduler.step(noise_pred, t, latents, s_churn=0.5).prev_sample  # expect: RPL110
