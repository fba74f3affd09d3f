"""RPL109 latents-without-generator: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


@pytest.mark.parametrize("draw,flagged", [
    ("randn_tensor(shape, generator=None)", True),
    ("randn_tensor(shape, generator=g)", False),
    ("torch.randn(shape) * pipe.scheduler.init_noise_sigma", True),
    ("torch.randn_like(reference)", True),
    ("load_latents()", False),
])
def test_latents_data_flow(draw, flagged):
    code = f"""
        import torch
        from diffusers import StableDiffusionPipeline
        from diffusers.utils.torch_utils import randn_tensor

        pipe = StableDiffusionPipeline.from_pretrained("m")
        g = torch.Generator("cpu").manual_seed(0)
        latents = {draw}
        pipe("p", latents=latents, generator=g)
    """
    assert bool(codes(code, "RPL109")) is flagged
