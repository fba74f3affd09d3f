"""RPL106 device-generator."""

import pytest

from tests.conftest import codes, lines, lint

PIPE = """import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
"""


RPL106_FLAG = {
    "cuda-literal": (PIPE + 'g = torch.Generator("cuda").manual_seed(0)\nimg = pipe("a", generator=g)\n', [6]),
    "cuda-index": (PIPE + 'g = torch.Generator(device="cuda:1").manual_seed(0)\nimg = pipe("a", generator=g)\n', [6]),
    "mps": (PIPE + 'img = pipe("a", generator=torch.Generator("mps").manual_seed(0))\n', [5]),
    "pipe-device": (PIPE + 'g = torch.Generator(device=pipe.device).manual_seed(0)\nimg = pipe("a", generator=g)\n', [6]),
    "accelerator-device": (
        'import torch\nfrom accelerate import Accelerator\nfrom diffusers import DiffusionPipeline\n'
        'accelerator = Accelerator()\npipe = DiffusionPipeline.from_pretrained("x")\n'
        'g = torch.Generator(device=accelerator.device).manual_seed(0)\nimg = pipe("a", generator=g)\n',
        [7],
    ),
    "conditional-device": (
        PIPE + 'device = "cuda" if torch.cuda.is_available() else "cpu"\n'
        'g = torch.Generator(device).manual_seed(0)\nimg = pipe("a", generator=g)\n',
        [7],
    ),
    "torch-device-object": (
        PIPE + 'g = torch.Generator(torch.device("cuda")).manual_seed(0)\nimg = pipe("a", generator=g)\n',
        [6],
    ),
    "list-of-cuda-generators": (
        PIPE + 'gs = [torch.Generator("cuda").manual_seed(i) for i in range(2)]\nimg = pipe(["a", "b"], generator=gs)\n',
        [6],
    ),
}
RPL106_CLEAN = {
    "cpu": PIPE + 'g = torch.Generator("cpu").manual_seed(0)\nimg = pipe("a", generator=g)\n',
    "default-device": PIPE + 'g = torch.Generator().manual_seed(0)\nimg = pipe("a", generator=g)\n',
    "cuda-but-low-level": 'import torch\ng = torch.Generator("cuda").manual_seed(0)\nx = torch.randn(4, generator=g, device="cuda")\n',
    "unknown-device": PIPE + 'g = torch.Generator(device=torch_device).manual_seed(0)\nimg = pipe("a", generator=g)\n',
    "cpu-variable": PIPE + 'device = "cpu"\ng = torch.Generator(device=device).manual_seed(0)\nimg = pipe("a", generator=g)\n',
    "no-noise-pipeline": (
        'import torch\nfrom diffusers import FluxPriorReduxPipeline\n'
        'redux = FluxPriorReduxPipeline.from_pretrained("x")\n'
        'out = redux(image, generator=torch.Generator("cuda").manual_seed(0))\n'
    ),
}


@pytest.mark.parametrize("code,expected", RPL106_FLAG.values(), ids=RPL106_FLAG.keys())
def test_rpl106_flags(code, expected):
    assert lines(code, "RPL106") == expected


@pytest.mark.parametrize("code", RPL106_CLEAN.values(), ids=RPL106_CLEAN.keys())
def test_rpl106_clean(code):
    assert lines(code, "RPL106") == []


def test_optional_generator_on_accelerator_device_passed_to_a_helper():
    code = """
        import torch
        from accelerate import Accelerator
        from diffusers import DiffusionPipeline

        def log_validation(pipeline: DiffusionPipeline, accelerator, seed):
            generator = torch.Generator(device=accelerator.device).manual_seed(seed) if seed is not None else None
            return pipeline("p", generator=generator)

        accelerator = Accelerator()
        log_validation(DiffusionPipeline.from_pretrained("m"), accelerator, 0)
    """
    assert codes(code, "RPL106") == [("RPL106", 7)]  # at the pipeline call's generator=


@pytest.mark.parametrize("body,flagged", [
    ('return torch.randn(shape, device="cuda", generator=torch.Generator(device="cuda").manual_seed(seed))', True),
    ('return torch.randn(shape, device="mps", generator=torch.Generator("mps").manual_seed(seed))', True),
    ('g = torch.Generator("cuda:0")\n    g.manual_seed(seed)\n    return torch.randn(shape, generator=g, device="cuda:0")', True),
    ('return torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed)).to("cuda")', False),
    ('return torch.randn(shape, device=device, generator=torch.Generator(device=device).manual_seed(seed))', False),
    ('return torch.randn(shape, device="cuda", generator=torch.Generator(device="cuda"))', False),
    ('g = torch.Generator("cuda").manual_seed(seed)\n    a = torch.randn(shape, generator=g, device="cuda")\n'
     '    return a + torch.randn(shape, generator=g, device="cuda")', False),
    ('noise = torch.randn(shape, generator=torch.Generator("cuda").manual_seed(seed), device="cuda")\n'
     '    return noise', True),
    ('latents = torch.randn(shape, generator=torch.Generator("cuda").manual_seed(seed), device="cuda")\n'
     '    for t in timesteps:\n        latents = denoise(latents, t)\n    return latents', True),
    # diffusers' randn_tensor: a GPU generator draws on the GPU; a CPU one draws on the CPU and the
    # noise is moved to `device` (what "cuda" as its device argument means)
    ('return randn_tensor(shape, generator=torch.Generator("cuda").manual_seed(seed), device="cuda")', True),
    ('latents = randn_tensor(shape, generator=torch.Generator(device="cuda:0").manual_seed(seed), '
     'device=device, dtype=torch.float16)\n    for t in timesteps:\n        latents = denoise(latents, t)\n'
     '    return latents', True),
    ('return randn_tensor(shape, generator=torch.Generator("cpu").manual_seed(seed), device="cuda")', False),
    ('g = torch.Generator(device="cpu")\n    g.manual_seed(seed)\n'
     '    return randn_tensor(shape, generator=g, device="cuda", dtype=torch.bfloat16)', False),
    # training noise for the forward process: not the initial noise of a sampling function
    ('noise = torch.randn(shape, generator=torch.Generator("cuda").manual_seed(seed), device="cuda")\n'
     '    return scheduler.add_noise(latents, noise, timesteps)', False),
])
def test_initial_noise_helpers(body, flagged):
    code = f"""
import torch
from diffusers.utils.torch_utils import randn_tensor

def get_noise(shape, seed, device):
    {body}
"""
    assert bool(codes(code, "RPL106")) is flagged


def test_randn_tensor_advice_says_a_cpu_generator_is_enough():
    code = """
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        def prepare_latents(shape, seed):
            return randn_tensor(shape, generator=torch.Generator("cuda").manual_seed(seed), device="cuda")
    """
    (finding,) = lint(code, "RPL106")
    assert "pass a CPU generator" in finding.message and "randn_tensor then draws on the CPU" in finding.message


def test_initial_noise_at_module_level_is_left_alone():
    code = """
        import torch

        noise = torch.randn((4, 4), generator=torch.Generator("cuda").manual_seed(0), device="cuda")
    """
    assert codes(code, "RPL106") == []
