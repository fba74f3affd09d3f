"""RPL106 device-generator, RPL107 unseeded-generator, RPL301 missing-determinism-setup."""

import pytest

from tests.conftest import lint

PIPE = """import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
"""
DET = "from diffusers.utils.torch_utils import enable_full_determinism\nenable_full_determinism()\n"

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

RPL301_FLAG = {
    "to-cuda": (PIPE + 'pipe.to("cuda")\nimg = pipe("a", generator=torch.Generator().manual_seed(0))\n', [5]),
    "cuda-method": (
        'import torch\nfrom transformers import AutoModel\nmodel = AutoModel.from_pretrained("bert").cuda()\n'
        'out = model(**batch)\n',
        [3],
    ),
    "device-map-auto": (
        'from transformers import AutoModelForCausalLM\n'
        'model = AutoModelForCausalLM.from_pretrained("gpt2", device_map="auto")\nout = model.generate(ids)\n',
        [2],
    ),
    "offload": (PIPE + 'pipe.enable_model_cpu_offload()\nimg = pipe("a")\n', [5]),
    "fstring-rank": (
        'import torch\nmodel = build_model().to(f"cuda:{rank}")\nloss = model(x).sum()\n',
        [2],
    ),
    "torch-device": (
        'import torch\ndevice = torch.device("cuda")\nnet = Net().to(device)\nfor x in loader:\n    net(x)\n',
        [3],
    ),
    "deterministic-false": (
        PIPE + 'torch.use_deterministic_algorithms(False)\npipe.to("cuda")\nimg = pipe("a")\n',
        [6],
    ),
}
RPL301_CLEAN = {
    "enable-full-determinism": DET + PIPE + 'pipe.to("cuda")\nimg = pipe("a")\n',
    "use-deterministic": 'import torch\ntorch.use_deterministic_algorithms(True)\nnet = Net().cuda()\nnet(x)\n',
    "accelerate-set-seed": (
        'from accelerate.utils import set_seed\nset_seed(0, deterministic=True)\n'
        'model = Net().to("cuda")\nmodel(x)\n'
    ),
    "lightning": 'import lightning as L\ntrainer = L.Trainer(deterministic=True)\nmodel = Net().cuda()\nmodel(x)\n',
    "cpu-only": PIPE + 'pipe.to("cpu")\nimg = pipe("a")\n',
    "tensor-only": 'import torch\nx = torch.ones(3).to("cuda")\nprint(x.sum())\n',
    "user-helper": (
        'from myproj.utils import make_deterministic\nmake_deterministic()\nnet = Net().cuda()\nnet(x)\n'
    ),
}


def lines(code, select, **settings):
    return [f.start.line for f in lint(code, select=select, **settings)]


@pytest.mark.parametrize("code,expected", RPL106_FLAG.values(), ids=RPL106_FLAG.keys())
def test_rpl106_flags(code, expected):
    assert lines(code, "RPL106") == expected


@pytest.mark.parametrize("code", RPL106_CLEAN.values(), ids=RPL106_CLEAN.keys())
def test_rpl106_clean(code):
    assert lines(code, "RPL106") == []


@pytest.mark.parametrize("code,expected", RPL107_FLAG.values(), ids=RPL107_FLAG.keys())
def test_rpl107_flags(code, expected):
    assert lines(code, "RPL107") == expected


@pytest.mark.parametrize("code", RPL107_CLEAN.values(), ids=RPL107_CLEAN.keys())
def test_rpl107_clean(code):
    assert lines(code, "RPL107") == []


@pytest.mark.parametrize("code,expected", RPL301_FLAG.values(), ids=RPL301_FLAG.keys())
def test_rpl301_flags(code, expected):
    assert lines(code, "RPL301") == expected


@pytest.mark.parametrize("code", RPL301_CLEAN.values(), ids=RPL301_CLEAN.keys())
def test_rpl301_clean(code):
    helpers = ("myproj.utils.make_deterministic",) if "make_deterministic" in code else ()
    assert lines(code, "RPL301", determinism_helpers=helpers) == []


def test_rpl301_user_helper_counts_only_when_configured():
    code = RPL301_CLEAN["user-helper"]
    assert lines(code, "RPL301") == [3]


def test_rpl301_reported_once_at_first_placement():
    code = PIPE + 'pipe.to("cuda")\nvae = AutoencoderKL().cuda()\nimg = pipe("a")\nvae(x)\n'
    assert lines(code, "RPL301") == [5]
