# A plain PyTorch fine-tuning script that resumes from its own checkpoints.
import argparse
import os

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, UNet2DModel


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--resume", type=str, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1000)
    return parser.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    unet = UNet2DModel(sample_size=32).to("cuda")  # expect: RPL301
    scheduler = DDPMScheduler(num_train_timesteps=1000)
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-4)
    start = 0
    if args.resume is not None:
        ckpt = torch.load(args.resume, map_location="cpu")
        unet.load_state_dict(ckpt["unet"])
        optimizer.load_state_dict(ckpt["optimizer"])  # expect: RPL204
        start = ckpt["step"]
    for step in range(start, args.steps):
        clean = torch.rand(8, 3, 32, 32, device="cuda") * 2 - 1
        noise = torch.randn_like(clean)
        timesteps = torch.randint(0, 1000, (8,), device="cuda")
        noisy = scheduler.add_noise(clean, noise, timesteps)
        loss = F.mse_loss(unet(noisy, timesteps).sample, noise)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % 500 == 0:
            torch.save({"unet": unet.state_dict(), "optimizer": optimizer.state_dict(), "step": step},
                       os.path.join("checkpoints", f"{step}.pt"))


if __name__ == "__main__":
    main()
