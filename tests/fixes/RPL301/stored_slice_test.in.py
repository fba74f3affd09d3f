import numpy as np
import torch
from diffusers import UNet2DModel


def test_unet_output():
    model = UNet2DModel(sample_size=8, in_channels=3, out_channels=3).to("cuda")
    sample = model(torch.ones(1, 3, 8, 8, device="cuda"), 1).sample
    expected_slice = np.array([0.0516, -0.0781, 0.2203])
    assert np.abs(sample[0, 0, 0, :3].cpu().numpy() - expected_slice).max() < 1e-3
