"""A community img2img pipeline with noise augmentation, diffusers-shaped."""

from typing import List, Optional, Union

import torch
from diffusers import DiffusionPipeline
from diffusers.utils.torch_utils import randn_tensor


class NoiseAugmentedImg2ImgPipeline(DiffusionPipeline):
    def __init__(self, vae, unet, scheduler):
        super().__init__()
        self.register_modules(vae=vae, unet=unet, scheduler=scheduler)

    def prepare_latents(self, image, timestep, batch_size, dtype, device, generator=None, noise_level=0.1):
        init_latents = self.vae.encode(image).latent_dist.sample(generator)
        init_latents = self.vae.config.scaling_factor * init_latents
        shape = init_latents.shape
        noise = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
        # augment the conditioning image as in the paper
        augmentation = torch.randn_like(init_latents) * noise_level  # expect: RPL113
        return self.scheduler.add_noise(init_latents + augmentation, noise, timestep)

    def jitter(self, latents, generator: Optional[Union[torch.Generator, List[torch.Generator]]] = None):
        if generator is None:
            return latents + 0.01 * torch.randn(latents.shape, device=latents.device)
        return latents + 0.01 * randn_tensor(latents.shape, generator=generator, device=latents.device)

    @torch.no_grad()
    def __call__(self, prompt, image, strength=0.8, num_inference_steps=50,
                 generator: Optional[torch.Generator] = None):
        device = self._execution_device
        timesteps = self.scheduler.timesteps
        latents = self.prepare_latents(image, timesteps[:1], 1, self.unet.dtype, device, generator)
        latents = self.jitter(latents, generator)
        for t in timesteps:
            noise_pred = self.unet(latents, t).sample
            latents = self.scheduler.step(noise_pred, t, latents, generator=generator).prev_sample
        dropout = torch.rand(latents.shape[0]) < 0.1  # expect: RPL113
        latents[dropout] = 0
        return latents
