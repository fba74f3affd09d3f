import torch

from unet import TinyUNet


def test_compiled_matches_eager():
    model = TinyUNet().to("cuda")
    x = torch.ones(1, 4, 8, 8, device="cuda")
    expected = model(x)
    assert torch.allclose(torch.compile(model)(x), expected, atol=1e-4)
