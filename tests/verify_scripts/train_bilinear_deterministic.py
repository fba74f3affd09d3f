"""A tiny super-resolution training step under strict determinism: the decoder's bilinear upsampling
has no deterministic CUDA backward, so the first backward pass on a GPU raises (RPL309)."""
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Upsampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


model = Upsampler().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
low = torch.rand(2, 3, 8, 8)
high = torch.rand(2, 3, 16, 16)
for step in range(10):
    loss = F.mse_loss(model(low.to(device)), high.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("final loss", float(loss))
