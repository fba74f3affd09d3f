"""A noising helper whose seeded generator is its parameter's default (RPL114): made once when
the `def` runs, so the second call draws where the first stopped."""
import torch
from diffusers import DDIMPipeline

pipe = DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")


def add_noise(images, strength=0.1, generator=torch.Generator().manual_seed(0)):
    return images + strength * torch.randn(images.shape, generator=generator)


base = pipe(batch_size=1, generator=torch.Generator("cpu").manual_seed(1), num_inference_steps=2,
            output_type="np").images
noisy = add_noise(torch.from_numpy(base))
print("noisy mean", float(noisy.mean()))
