"""RPL103 seed-not-generator."""

import pytest

from tests.conftest import assert_found, lint

PIPE = """import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
"""


RPL103_FLAG = {
    "literal-int": (PIPE + 'image = pipe("a cat", generator=42).images[-1]\n', [(5, 33)]),
    "args-seed": (PIPE + 'image = pipe("a cat", generator=args.seed).images[-1]\n', [(5, 33)]),
    "int-variable": (PIPE + 'seed = 1234\nimage = pipe("a cat", generator=seed).images[-1]\n', [(6, 33)]),
    "seed-parameter": (
        PIPE + 'def render(prompt, seed):\n    return pipe(prompt, generator=seed).images[-1]\n',
        [(6, 35)],
    ),
    "seed-keyword": (PIPE + 'image = pipe("a cat", seed=7).images[-1]\n', [(5, 23)]),
    "generator-device-int": ("import torch as T\ng = T.Generator(0)\n", [(2, 17)]),
    "from-import-generator": ("from torch import Generator\ng = Generator(self.seed)\n", [(2, 15)]),
}
RPL103_CLEAN = {
    "seeded-generator": PIPE + 'image = pipe("a cat", generator=torch.Generator().manual_seed(args.seed)).images[-1]\n',
    "generator-none": PIPE + 'image = pipe("a cat", generator=None).images[-1]\n',
    "device-string": 'import torch\ng = torch.Generator("cuda:0")\n',
    "device-variable": 'import torch\ndevice = "cpu"\ng = torch.Generator(device)\n',
    "seeded-name-is-generator": PIPE + 'seed_gen = torch.Generator().manual_seed(3)\nimage = pipe("a", generator=seed_gen)\n',
    "seed-kw-elsewhere": 'from accelerate.utils import set_seed\nset_seed(seed=0)\n',
    "not-torch-generator": 'from mylib import Generator\ng = Generator(42)\n',
}


@pytest.mark.parametrize("code,expected", RPL103_FLAG.values(), ids=RPL103_FLAG.keys())
def test_rpl103_flags(code, expected):
    assert_found("RPL103", code, expected)


@pytest.mark.parametrize("code", RPL103_CLEAN.values(), ids=RPL103_CLEAN.keys())
def test_rpl103_clean(code):
    assert lint(code, select="RPL103") == []
