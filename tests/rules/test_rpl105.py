"""RPL105 generator-list-aliasing."""

import pytest

from tests.conftest import assert_found, lint

PIPE = """import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
"""


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


@pytest.mark.parametrize("code,expected", RPL105_FLAG.values(), ids=RPL105_FLAG.keys())
def test_rpl105_flags(code, expected):
    assert_found("RPL105", code, expected)


@pytest.mark.parametrize("code", RPL105_CLEAN.values(), ids=RPL105_CLEAN.keys())
def test_rpl105_clean(code):
    assert lint(code, select="RPL105") == []
