from diffusers.utils.torch_utils import randn_tensor


class Img2ImgMixin:
    def prepare_latents(self, image_latents, timestep, generator, device, dtype):
        noise = randn_tensor(
            image_latents.shape,
            device=device,
            dtype=dtype,
            generator=generator,
        )
        return self.scheduler.add_noise(image_latents, noise, timestep)
