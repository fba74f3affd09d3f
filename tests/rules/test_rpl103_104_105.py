"""RPL103 seed-not-generator, RPL104 global-generator, RPL105 generator-list-aliasing."""

import pytest

from tests.conftest import lint

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

RPL105_FLAG = {
    "multiply-inline": ('import torch\ngs = [torch.Generator("cpu").manual_seed(0)] * 4\n', [2]),
    "multiply-name": ('import torch\ng = torch.Generator().manual_seed(0)\ngs = [g] * batch_size\n', [3]),
    "multiply-left": ('import torch\ng = torch.Generator().manual_seed(0)\ngs = 4 * [g]\n', [3]),
    "comprehension-of-one": ('import torch\ng = torch.Generator().manual_seed(0)\ngs = [g for _ in range(4)]\n', [3]),
    "inline-in-call": (
        PIPE + 'images = pipe("a", num_images_per_prompt=2, generator=[torch.Generator().manual_seed(1)] * 2)\n',
        [5],
    ),
    "aliased-torch": ('import torch as T\ngs = [T.Generator().manual_seed(0)] * 2\n', [2]),
}
RPL105_CLEAN = {
    "comprehension": 'import torch\ngs = [torch.Generator().manual_seed(i) for i in range(4)]\n',
    "distinct-literals": 'import torch\ngs = [torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)]\n',
    "prompts": 'prompts = ["a cat"] * 4\n',
    "nones": 'import torch\nmasks = [None] * 4\n',
    "seeds": 'seeds = [0] * 4\n',
    "unknown-element": 'gs = [make_generator()] * 4\n',
}


def _check(select, code, expected):
    found = lint(code, select=select)
    if expected and isinstance(expected[0], tuple):
        assert [(f.start.line, f.start.column) for f in found] == expected
    else:
        assert [f.start.line for f in found] == expected


@pytest.mark.parametrize("code,expected", RPL103_FLAG.values(), ids=RPL103_FLAG.keys())
def test_rpl103_flags(code, expected):
    _check("RPL103", code, expected)


@pytest.mark.parametrize("code", RPL103_CLEAN.values(), ids=RPL103_CLEAN.keys())
def test_rpl103_clean(code):
    assert lint(code, select="RPL103") == []


@pytest.mark.parametrize("code,expected", RPL104_FLAG.values(), ids=RPL104_FLAG.keys())
def test_rpl104_flags(code, expected):
    _check("RPL104", code, expected)


@pytest.mark.parametrize("code", RPL104_CLEAN.values(), ids=RPL104_CLEAN.keys())
def test_rpl104_clean(code):
    assert lint(code, select="RPL104") == []


@pytest.mark.parametrize("code,expected", RPL105_FLAG.values(), ids=RPL105_FLAG.keys())
def test_rpl105_flags(code, expected):
    _check("RPL105", code, expected)


@pytest.mark.parametrize("code", RPL105_CLEAN.values(), ids=RPL105_CLEAN.keys())
def test_rpl105_clean(code):
    assert lint(code, select="RPL105") == []
