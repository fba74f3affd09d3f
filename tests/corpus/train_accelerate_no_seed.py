"""A minimal accelerate fine-tuning script for a diffusion UNet (no seed anywhere)."""

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from diffusers import DDPMScheduler, UNet2DModel


def main():
    accelerator = Accelerator(mixed_precision="fp16", gradient_accumulation_steps=2)  # expect: RPL203
    model = UNet2DModel(sample_size=32, in_channels=3, out_channels=3)
    noise_scheduler = DDPMScheduler(num_train_timesteps=1000)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    dataset = torch.utils.data.TensorDataset(torch.zeros(64, 3, 32, 32))
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=True)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    for (clean,) in loader:
        with accelerator.accumulate(model):
            noise = torch.randn(clean.shape, device=clean.device)  # expect: RPL202
            timesteps = torch.randint(0, 1000, (clean.shape[0],), device=clean.device)
            noisy = noise_scheduler.add_noise(clean, noise, timesteps)
            loss = F.mse_loss(model(noisy, timesteps).sample, noise)
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()


if __name__ == "__main__":
    main()
