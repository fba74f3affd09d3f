"""RPL104 global-generator."""

import pytest

from tests.conftest import assert_found, lint

PIPE = """import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
"""


RPL104_FLAG = {
    "inline-manual-seed": (PIPE + 'image = pipe("a cat", generator=torch.manual_seed(0)).images[-1]\n', [5]),
    "named-manual-seed": (PIPE + 'g = torch.manual_seed(0)\nimage = pipe("a cat", generator=g).images[-1]\n', [6]),
    "default-generator": (PIPE + 'image = pipe("a cat", generator=torch.default_generator).images[-1]\n', [5]),
    "aliased-torch": (
        'import torch as T\nfrom diffusers import DDPMPipeline\n'
        'pipe = DDPMPipeline.from_pretrained("google/ddpm-cat-256")\nout = pipe(generator=T.manual_seed(1))\n',
        [4],
    ),
    "from-import-manual-seed": (
        PIPE.replace("import torch\n", "from torch import manual_seed\n")
        + 'image = pipe("a", generator=manual_seed(3)).images[0]\n',
        [5],
    ),
    "in-kwargs-dict": (
        PIPE + 'inputs = {"prompt": "a", "generator": torch.manual_seed(0)}\nimage = pipe(**inputs)\n',
        [6],
    ),
}
RPL104_CLEAN = {
    "cpu-generator": PIPE + 'image = pipe("a", generator=torch.Generator("cpu").manual_seed(0)).images[0]\n',
    "global-seed-then-generator": PIPE + 'torch.manual_seed(0)\nimage = pipe("a", generator=torch.Generator().manual_seed(0))\n',
    "randn-with-global": 'import torch\nx = torch.randn(3, generator=torch.manual_seed(0))\n',
    "other-manual-seed": PIPE + 'from mylib import manual_seed\nimage = pipe("a", generator=manual_seed(0))\n',
    "cuda-manual-seed": PIPE + 'torch.cuda.manual_seed_all(0)\nimage = pipe("a", generator=torch.Generator().manual_seed(0))\n',
    "generator-method": PIPE + 'g = torch.Generator()\ng = g.manual_seed(0)\nimage = pipe("a", generator=g)\n',
}


@pytest.mark.parametrize("code,expected", RPL104_FLAG.values(), ids=RPL104_FLAG.keys())
def test_rpl104_flags(code, expected):
    assert_found("RPL104", code, expected)


@pytest.mark.parametrize("code", RPL104_CLEAN.values(), ids=RPL104_CLEAN.keys())
def test_rpl104_clean(code):
    assert lint(code, select="RPL104") == []
