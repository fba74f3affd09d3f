import torch

from models.unet import TinyUNet

model = TinyUNet().to("cuda")
with torch.no_grad():
    out = model(torch.zeros(1, 4, 8, 8, device="cuda"))
print(out.shape)
