import numpy as np
import torch
from diffusers import UNet2DModel
import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
torch.use_deterministic_algorithms(True)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False


def test_unet_output():
    model = UNet2DModel(sample_size=8, in_channels=3, out_channels=3).to("cuda")
    sample = model(torch.ones(1, 3, 8, 8, device="cuda"), 1).sample
    expected_slice = np.array([0.0516, -0.0781, 0.2203])
    assert np.abs(sample[0, 0, 0, :3].cpu().numpy() - expected_slice).max() < 1e-3
