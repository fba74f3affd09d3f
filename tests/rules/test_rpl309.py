"""RPL309 raises-under-determinism: must-flag and must-not-flag cases beyond the rule's own
examples, and the table generated from torch's documentation."""

import importlib.util
import textwrap
import json
import pathlib

import pytest

from reprolint.semantic import determinism_ops
from tests.conftest import codes, lint

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _module(setup: str, forward: str, placement: str = 'model = Net().to("cuda")', extra_init: str = "") -> str:
    return f"""
import torch
import torch.nn.functional as F
from torch import nn
from diffusers.utils.torch_utils import enable_full_determinism

{setup}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        {extra_init or "pass"}

    def forward(self, x):
        x = self.stem(x)
        {forward}

{placement}
for batch in loader:
    model(batch).mean().backward()
"""


@pytest.mark.parametrize("forward,flagged", [
    ('return F.interpolate(x, scale_factor=2, mode="bilinear")', True),
    ('return F.interpolate(x, None, 2, "bicubic")', True),
    ('return F.interpolate(x, scale_factor=2, mode="trilinear")', True),
    ('return F.interpolate(x, scale_factor=2)', False),
    ('return F.interpolate(x, scale_factor=2, mode="nearest")', False),
    ('return F.interpolate(x, scale_factor=2, mode=self.mode)', False),
    ("return F.interpolate(x, scale_factor=2, **self.kwargs)", False),
    ("return F.grid_sample(x, self.grid, align_corners=False)", True),
    ("return F.adaptive_avg_pool2d(x, 1)", True),
    ("return F.avg_pool2d(x, 2)", False),
    ('return F.pad(x, (1, 1, 1, 1), mode="reflect")', True),
    ('return F.pad(x, (1, 1, 1, 1), "reflect")', True),
    ('return F.pad(x, (1, 1, 1, 1), mode="replicate")', False),
    ("return F.pad(x, (1, 1, 1, 1))", False),
    ("return F.nll_loss(x, self.target)", False),
    ('return torch.cumsum(x, 0)', False),
])
def test_functional_ops_in_forward(forward, flagged):
    assert bool(codes(_module("torch.use_deterministic_algorithms(True)", forward), "RPL309")) is flagged


@pytest.mark.parametrize("layer,flagged", [
    ("self.pool = nn.AdaptiveAvgPool2d(1)", True),
    ("self.pool = nn.AdaptiveMaxPool2d(1)", True),
    ("self.pool = nn.AvgPool3d(2)", True),
    ("self.pad = nn.ReflectionPad2d(1)", True),
    ("self.pad = nn.ReplicationPad2d(1)", False),
    ("self.loss = nn.CTCLoss()", True),
    ("self.loss = nn.NLLLoss()", False),
    ('self.bag = nn.EmbeddingBag(10, 4, mode="max")', True),
    ("self.bag = nn.EmbeddingBag(10, 4)", False),
    ("self.unpool = nn.MaxUnpool2d(2)", True),
    ("self.conv = nn.Conv2d(3, 3, 3)", False),
])
def test_layers_built_in_a_model(layer, flagged):
    code = _module("torch.use_deterministic_algorithms(True)", "return x", extra_init=layer)
    assert bool(codes(code, "RPL309")) is flagged


@pytest.mark.parametrize("setup,flagged", [
    ("torch.use_deterministic_algorithms(True)", True),
    ("torch.use_deterministic_algorithms(mode=True)", True),
    ("torch.use_deterministic_algorithms(True, warn_only=False)", True),
    ("torch.use_deterministic_algorithms(True, warn_only=True)", False),
    ("torch.use_deterministic_algorithms(False)", False),
    ("enable_full_determinism()", True),
    ('torch.set_deterministic_debug_mode("error")', True),
    ('torch.set_deterministic_debug_mode("warn")', False),
    ("torch.backends.cudnn.deterministic = True", False),
    ("", False),
])
def test_which_setups_make_it_raise(setup, flagged):
    code = _module(setup, 'return F.interpolate(x, scale_factor=2, mode="bilinear")')
    assert bool(codes(code, "RPL309")) is flagged


@pytest.mark.parametrize("placement,flagged", [
    ('model = Net().to("cuda")', True),
    ("model = Net().cuda()", True),
    ("accelerator = Accelerator()\nmodel = accelerator.prepare(Net())", True),
    ('model = Net().to("cpu")', False),
    ("model = Net()", False),
])
def test_only_on_cuda(placement, flagged):
    code = _module("torch.use_deterministic_algorithms(True)",
                   'return F.interpolate(x, scale_factor=2, mode="bilinear")', placement=placement)
    code = code.replace("import torch\n", "import torch\nfrom accelerate import Accelerator\n", 1)
    assert bool(codes(code, "RPL309")) is flagged


def test_differentiated_ops_need_a_backward_and_no_no_grad():
    code = """
        import torch
        import torch.nn.functional as F
        from torch import nn

        torch.use_deterministic_algorithms(True)

        class Net(nn.Module):
            def forward(self, x):
                return F.interpolate(x * self.gain, scale_factor=2, mode="bilinear")

            @torch.no_grad()
            def preview(self, x):
                return F.interpolate(x, scale_factor=2, mode="bilinear")

        model = Net().to("cuda")
        with torch.no_grad():
            images = model(batch)
    """
    assert codes(code, "RPL309") == [], "inference only: no backward pass, nothing raises"
    training = textwrap.dedent(code) + "model(batch).mean().backward()\n"
    assert codes(training, "RPL309") == [("RPL309", 9)]


@pytest.mark.parametrize("call,flagged", [
    ("torch.bincount(labels, weights=scores)", True),
    ("torch.bincount(labels, scores)", True),
    ("torch.bincount(labels)", False),
    ("labels.bincount(scores)", True),
    ("torch.histc(x, bins=10)", True),
    ("x.histc(10)", True),
    ("torch.median(x, dim=1)", True),
    ("torch.median(x, 1)", True),
    ("torch.median(x)", False),
    ("x.put_(index, source)", True),
    ("x.scatter_reduce(0, index, src, reduce='prod')", True),
    ("x.scatter_reduce(0, index, src, reduce='sum')", False),
])
def test_ops_that_raise_in_the_forward_call(call, flagged):
    code = f"""
        import torch

        torch.use_deterministic_algorithms(True)
        model.cuda()
        result = {call}
    """
    assert bool(codes(code, "RPL309")) is flagged


def test_message_names_the_op_the_condition_and_the_torch_release():
    code = _module("torch.use_deterministic_algorithms(True)", 'return F.interpolate(x, scale_factor=2, mode="bilinear")')
    (finding,) = lint(code, "RPL309")
    assert "`F.interpolate` (mode='bilinear')" in finding.message
    assert "its backward raises a RuntimeError on CUDA" in finding.message
    assert determinism_ops.table_version() in finding.message


def _generator_script():
    spec = importlib.util.spec_from_file_location("generate_determinism_table",
                                                  ROOT / "scripts" / "generate_determinism_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_is_what_the_script_generates_from_the_installed_torch():
    torch = pytest.importorskip("torch")
    committed = json.loads((ROOT / "reprolint" / "data" / "determinism.json").read_text(encoding="utf-8"))
    if committed["generated_from"] != f"torch {torch.__version__.split('+')[0]}":
        pytest.skip(f"table from {committed['generated_from']}, installed torch {torch.__version__}")
    assert _generator_script().build_table() == committed


def test_unknown_condition_phrases_are_left_undecided():
    script = _generator_script()
    entry = script._parse_conditions("torch.foo", "when called with a sparse tensor")
    assert entry["undecided"] and "sparse" in entry["undecided"]
    entry = script._parse_conditions(
        "torch.nn.functional.interpolate",
        "when attempting to differentiate a CUDA tensor and one of the following modes is used: - ``linear`` - ``bicubic``")
    assert entry == {"differentiated": True, "cuda": True, "undecided": None,
                     "arguments": [{"name": "mode", "in": ["linear", "bicubic"]}]}


def test_table_covers_the_ops_the_issue_names():
    targets = {entry["target"] for entry in determinism_ops.table()["raises"]}
    for op in ("torch.nn.functional.interpolate", "torch.nn.functional.grid_sample", "torch.nn.AdaptiveAvgPool2d",
               "torch.nn.ReflectionPad2d", "torch.nn.NLLLoss", "torch.nn.CTCLoss", "torch.histc",
               "torch.bincount", "torch.median", "torch.cumsum"):
        assert op in targets


def test_op_on_the_top_level_models_raw_input_is_undecided():
    """The top-level model's forward receives data (no gradient): resizing it raises nothing. The
    same op in a block that another model builds receives activations, which are differentiated."""
    code = """
        import torch
        import torch.nn.functional as F
        from torch import nn

        torch.use_deterministic_algorithms(True)

        class Upsample(nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=2, mode="bilinear")

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.up = Upsample()

            def forward(self, image):
                image = F.interpolate(image, size=224, mode="bilinear")
                features = self.up(image)
                return F.interpolate(features, size=7, mode="bilinear")

        model = Classifier().to("cuda")
        for batch in loader:
            model(batch).mean().backward()
    """
    assert codes(code, "RPL309") == [("RPL309", 9), ("RPL309", 19)]
