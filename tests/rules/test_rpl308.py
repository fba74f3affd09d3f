"""RPL308 gpu-inference-without-determinism: RPL301's former reading, GPU placements of models and pipelines an entry point runs (RPL301 itself: tests/test_gpu_evidence.py)."""

import pytest

from tests.conftest import codes, lines

PIPE = """import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
"""
DET = "from diffusers.utils.torch_utils import enable_full_determinism\nenable_full_determinism()\n"


RPL308_FLAG = {
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
RPL308_CLEAN = {
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


@pytest.mark.parametrize("code,expected", RPL308_FLAG.values(), ids=RPL308_FLAG.keys())
def test_rpl308_flags(code, expected):
    assert lines(code, "RPL308") == expected


@pytest.mark.parametrize("code", RPL308_CLEAN.values(), ids=RPL308_CLEAN.keys())
def test_rpl308_clean(code):
    helpers = ("myproj.utils.make_deterministic",) if "make_deterministic" in code else ()
    assert lines(code, "RPL308", determinism_helpers=helpers) == []


def test_rpl308_user_helper_counts_only_when_configured():
    code = RPL308_CLEAN["user-helper"]
    assert lines(code, "RPL308") == [3]


def test_rpl308_reported_once_at_first_placement():
    code = PIPE + 'pipe.to("cuda")\nvae = AutoencoderKL().cuda()\nimg = pipe("a")\nvae(x)\n'
    assert lines(code, "RPL308") == [5]


def test_user_determinism_helper_needs_the_setting():
    code = """
        import torch
        from diffusers import DiffusionPipeline
        from myproj.repro import make_deterministic

        make_deterministic()
        pipe = DiffusionPipeline.from_pretrained("m").to("cuda")
        pipe("p", generator=torch.Generator("cpu").manual_seed(0))
    """
    assert codes(code, "RPL308") == [("RPL308", 6)]
    assert codes(code, "RPL308", determinism_helpers=("myproj.repro.make_deterministic",)) == []
