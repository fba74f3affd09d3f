"""RPL107 unseeded-generator."""

import pytest

from tests.conftest import lines

PIPE = """import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
"""


RPL107_FLAG = {
    "never-seeded": (PIPE + 'g = torch.Generator("cpu")\nimg = pipe("a", generator=g)\n', [6]),
    "inline": (PIPE + 'img = pipe("a", generator=torch.Generator())\n', [5]),
    "nondeterministic-seed": (PIPE + 'g = torch.Generator()\ng.seed()\nimg = pipe("a", generator=g)\n', [7]),
    "randn": ('import torch\ng = torch.Generator()\nx = torch.randn((2, 2), generator=g)\n', [3]),
    "seeded-too-late": (PIPE + 'g = torch.Generator()\nimg = pipe("a", generator=g)\ng.manual_seed(0)\n', [6]),
    "on-self": (
        'import torch\nfrom diffusers import DiffusionPipeline\n\nclass S:\n'
        '    def __init__(self):\n        self.pipe = DiffusionPipeline.from_pretrained("x")\n'
        '        self.g = torch.Generator()\n\n    def run(self):\n'
        '        return self.pipe("a", generator=self.g)\n',
        [10],
    ),
}
RPL107_CLEAN = {
    "chained": PIPE + 'img = pipe("a", generator=torch.Generator().manual_seed(0))\n',
    "seeded-later-statement": PIPE + 'g = torch.Generator()\ng.manual_seed(0)\nimg = pipe("a", generator=g)\n',
    "seeded-in-loop": PIPE + 'g = torch.Generator()\nfor s in range(3):\n    g.manual_seed(s)\n    pipe("a", generator=g)\n',
    "parameter": 'def f(pipe, generator):\n    return pipe("a", generator=generator)\n',
    "seeded-in-init": (
        'import torch\nfrom diffusers import DiffusionPipeline\n\nclass S:\n'
        '    def __init__(self, seed):\n        self.pipe = DiffusionPipeline.from_pretrained("x")\n'
        '        self.g = torch.Generator()\n        self.g.manual_seed(seed)\n\n    def run(self):\n'
        '        return self.pipe("a", generator=self.g)\n'
    ),
    "seeded-on-both-branches": (
        PIPE + 'g = torch.Generator()\nif a:\n    g.manual_seed(1)\nelse:\n    g.manual_seed(2)\npipe("a", generator=g)\n'
    ),
}


@pytest.mark.parametrize("code,expected", RPL107_FLAG.values(), ids=RPL107_FLAG.keys())
def test_rpl107_flags(code, expected):
    assert lines(code, "RPL107") == expected


@pytest.mark.parametrize("code", RPL107_CLEAN.values(), ids=RPL107_CLEAN.keys())
def test_rpl107_clean(code):
    assert lines(code, "RPL107") == []
