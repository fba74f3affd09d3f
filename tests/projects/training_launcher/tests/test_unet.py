import numpy as np
import torch

from unet import TinyUNet


def test_output_matches_the_stored_slice():
    torch.manual_seed(0)
    model = TinyUNet().to("cuda")
    out = model(torch.ones(1, 4, 8, 8, device="cuda"))
    expected_slice = np.array([0.1234, -0.0567, 0.2468])  # expect: RPL301
    assert np.abs(out[0, 0, 0, :3].detach().cpu().numpy() - expected_slice).max() < 1e-4
