"""Trains a small upsampler with warn_only: the op warns instead of raising."""
import argparse

import torch
import torch.nn.functional as F
from torch import nn

from superres.reproducibility import setup_run_lenient


class Upsampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        x = self.body(x)
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    setup_run_lenient(args.seed)
    model = Upsampler().to("cuda")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(100):
        low = torch.rand(4, 3, 32, 32, device="cuda")
        loss = F.mse_loss(model(low), torch.rand(4, 3, 64, 64, device="cuda"))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
