import torch
from torch import nn


class TinyUNet(nn.Module):
    def __init__(self, channels: int = 4):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(x)

    def cuda(self, device=None):
        return super().cuda(device)

    def to_gpu(self):
        self.conv = self.conv.to("cuda")
        return self


def build_unet():
    model = TinyUNet().cuda()
    model.eval()
    return model
