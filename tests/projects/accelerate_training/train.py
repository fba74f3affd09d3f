import argparse

import torch
from accelerate import Accelerator
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from torch.utils.data import DataLoader

from utils import seed_all


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pretrained_model_name_or_path", type=str, required=True)
    return parser.parse_args()


def main():
    args = parse_args()
    accelerator = Accelerator()
    seed_all(args.seed)
    vae = AutoencoderKL.from_pretrained(args.pretrained_model_name_or_path, subfolder="vae")
    unet = UNet2DConditionModel.from_pretrained(args.pretrained_model_name_or_path, subfolder="unet")
    noise_scheduler = DDPMScheduler.from_pretrained(args.pretrained_model_name_or_path, subfolder="scheduler")
    loader = DataLoader(build_dataset(), batch_size=4, shuffle=True, num_workers=4)  # expect: RPL304
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-5)
    unet, optimizer, loader = accelerator.prepare(unet, optimizer, loader)
    for batch in loader:
        latents = vae.encode(batch["pixel_values"]).latent_dist.sample()
        noise = torch.randn_like(latents)
        timesteps = torch.randint(0, noise_scheduler.config.num_train_timesteps, (latents.shape[0],))
        noisy = noise_scheduler.add_noise(latents, noise, timesteps)
        loss = torch.nn.functional.mse_loss(unet(noisy, timesteps, batch["embeds"]).sample, noise)
        accelerator.backward(loss)  # expect: RPL301
        optimizer.step()
        optimizer.zero_grad()


def build_dataset():
    return []


if __name__ == "__main__":
    main()
