"""A model module with a smoke test: a library, since the trainers import it."""
import torch
from torch import nn


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = TinyUNet().cuda()
    out = model(torch.randn(1, 4, 8, 8, device="cuda"))
    out.mean().backward()
