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
# A class whose method hands a parameter to a pipeline; the global generator passed to it
# positionally (``self`` is not an argument of the call).
TRAINER = PIPE + """
class Trainer:
    def log_validation(self, pipeline, generator):
        return pipeline("a cat", generator=generator).images

    def noise(self, shape, generator):
        return torch.randn(shape, generator=generator)

    @staticmethod
    def helper(x):
        return x

"""
RPL104_FLAG["method-of-self-positional"] = (
    TRAINER + "    def validate(self):\n        return self.log_validation(pipe, torch.manual_seed(0))\n", [18])
RPL104_FLAG["method-of-instance-positional"] = (
    TRAINER + "trainer = Trainer()\ntrainer.log_validation(pipe, torch.manual_seed(0))\n", [18])
RPL104_FLAG["inherited-method-positional"] = (
    TRAINER + "class SDTrainer(Trainer):\n    def validate(self):\n"
    "        g = torch.manual_seed(0)\n        return self.log_validation(pipe, g)\n", [20])
RPL104_CLEAN = {
    "method-positional-cpu-generator":
        TRAINER + 'trainer = Trainer()\ntrainer.log_validation(pipe, torch.Generator("cpu").manual_seed(0))\n',
    "method-positional-low-level-draw": TRAINER + "Trainer().noise(3, torch.manual_seed(0))\n"
                                        "t = Trainer()\nt.noise((3,), torch.manual_seed(0))\n",
    "method-position-not-passed-on": TRAINER + "t = Trainer()\nt.log_validation(torch.manual_seed(0), None)\n",
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
