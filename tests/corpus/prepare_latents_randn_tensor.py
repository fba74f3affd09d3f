# Hunyuan/Anima-style minimal inference: the initial latents come from diffusers' randn_tensor.
import torch
from diffusers.utils.torch_utils import randn_tensor


def prepare_latents(batch_size: int, height: int, width: int, seed: int, device: torch.device):
    # A CPU generator: randn_tensor draws on the CPU and moves the latents to `device`.
    seed_g = torch.Generator(device="cpu")
    seed_g.manual_seed(seed)
    shape = (batch_size, 16, height // 8, width // 8)
    return randn_tensor(shape, generator=seed_g, device=device, dtype=torch.bfloat16)


def prepare_latents_on_gpu(batch_size: int, height: int, width: int, seed: int):
    shape = (batch_size, 16, height // 8, width // 8)
    latents = randn_tensor(
        shape,
        generator=torch.Generator(device="cuda").manual_seed(seed),  # expect: RPL106
        device=torch.device("cuda"),
        dtype=torch.bfloat16,
    )
    return latents
