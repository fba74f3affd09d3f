import torch
from diffusers import UNet2DModel


class EulerAncestralSampler:
    def __init__(self, unet: UNet2DModel, sigmas):
        self.unet = unet
        self.sigmas = sigmas

    def __call__(self, x, i, generator=None):
        denoised = self.unet(x, self.sigmas[i]).sample
        d = (x - denoised) / self.sigmas[i]
        x = x + d * (self.sigmas[i + 1] - self.sigmas[i])
        return x + torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device) * self.sigmas[i + 1]
