# A VAE-style decoder trained with deterministic algorithms on: some of its ops have no
# deterministic CUDA backward, and torch raises on the first backward pass.
import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.backends.cudnn.benchmark = False


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)  # expect: RPL309
        return self.conv(x)


class NearestUpsample(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0)


class Head(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((1, 1))  # expect: RPL309
        self.pad = nn.ReplicationPad2d(1)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        return self.fc(self.pool(self.pad(x)).flatten(1))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = Upsample(64)
        self.head = Head(64, 10)

    def forward(self, z):
        return self.head(self.up(z))


@torch.no_grad()
def preview(decoder, z):
    return F.interpolate(decoder.up(z), size=(256, 256), mode="bicubic")


def train(loader, steps=100):
    decoder = Decoder().to("cuda")
    optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-4)
    for _, (z, mask) in zip(range(steps), loader):
        mask = F.interpolate(mask.cuda(), size=(16, 16), mode="bilinear")
        loss = (decoder(z.cuda()) * mask.mean()).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


if __name__ == "__main__":
    train(loader=None)
