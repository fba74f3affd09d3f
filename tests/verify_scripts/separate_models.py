"""UNet and VAE loaded outside a pipeline: passed to one (RPL101), and the VAE used by hand (RPL111)."""
import torch
from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel

unet = UNet2DConditionModel.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", subfolder="unet")
vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse")
pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", unet=unet, vae=vae)
image = pipe("a lighthouse at dusk", num_inference_steps=2).images[0]
pixels = torch.zeros(1, 3, 64, 64)
with torch.no_grad():
    latents = vae.encode(pixels).latent_dist.sample()
