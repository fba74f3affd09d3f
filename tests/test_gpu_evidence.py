"""RPL301 reports where run-to-run GPU nondeterminism is established (seeded training, tests
against stored values, an unread ``--deterministic``), RPL308 holds the strict reading, and
their fix is torch-only where the module does not use diffusers (RULES.md, "Round three")."""

from __future__ import annotations

import ast
import pathlib
import textwrap

import pytest

from reprolint.engine import Linter
from reprolint.fix.apply import fix_source
from reprolint.settings import Settings

TRAINING = textwrap.dedent("""\
    import argparse

    import torch


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=0)
        args = parser.parse_args()
        torch.manual_seed(args.seed)
        model = torch.nn.Linear(8, 8).to("cuda")
        optimizer = torch.optim.AdamW(model.parameters())
        for _ in range(10):
            loss = model(torch.randn(4, 8, device="cuda")).pow(2).mean()
            loss.backward()
            optimizer.step()


    if __name__ == "__main__":
        main()
    """)


def codes(source: str, select=("RPL301",), target: str = "2.4", path: str = "train.py") -> list:
    report = Linter(Settings(select=select, target_version=target)).lint_source(source, path)
    assert not report.errors, report.errors
    return [(f.start.line, f.code) for f in report.findings]


def test_seeded_gpu_training_is_reported_at_the_placement_of_the_trained_model():
    assert codes(TRAINING) == [(11, "RPL301")]


def test_unseeded_training_is_left_to_rpl202_and_rpl308():
    unseeded = TRAINING.replace("    torch.manual_seed(args.seed)\n", "").replace(
        '    parser.add_argument("--seed", type=int, default=0)\n', "")
    assert "seed" not in unseeded
    assert codes(unseeded) == []
    assert codes(unseeded, select=("RPL308",)) == [(9, "RPL308")]


def test_forward_only_inference_is_rpl308_not_rpl301():
    inference = textwrap.dedent("""\
        import torch
        from diffusers import DiffusionPipeline

        if __name__ == "__main__":
            pipe = DiffusionPipeline.from_pretrained("x").to("cuda")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
        """)
    assert codes(inference) == []
    assert codes(inference, select=("RPL308",)) == [(5, "RPL308")]
    # With both selected the module gets one finding, not two.
    assert codes(TRAINING, select=("RPL301", "RPL308")) == [(11, "RPL301")]


@pytest.mark.parametrize("stored", [
    "expected_slice = np.array([0.1, -0.2, 0.3])",
    "expected_slice = torch.tensor([[0.1, 0.2], [0.3, 0.4]])",
    'expected_image = load_numpy("https://example.com/reference.npy")',
])
def test_a_test_comparing_gpu_outputs_with_stored_values_is_reported(stored):
    test = textwrap.dedent(f"""\
        import numpy as np
        import torch
        from utils import load_numpy, run_model


        def test_model():
            out = run_model(device="cuda")
            {stored}
            assert np.abs(out - expected_slice).max() < 1e-3
        """)
    assert codes(test, path="test_model.py") == [(8, "RPL301")]


def test_a_comparison_of_two_results_of_the_same_run_is_not_reported():
    test = textwrap.dedent("""\
        import torch


        def test_fp16_matches_fp32():
            model = torch.nn.Linear(2, 2).to("cuda")
            x = torch.ones(2, device="cuda")
            expected = model(x)
            assert torch.allclose(model.half()(x.half()).float(), expected, atol=1e-2)
        """)
    assert codes(test, path="test_model.py") == []


def test_a_test_module_with_determinism_setup_is_not_reported():
    test = textwrap.dedent("""\
        import numpy as np
        from diffusers.utils.testing_utils import enable_full_determinism, torch_device

        enable_full_determinism()


        def test_model(pipe):
            image = pipe.to(torch_device)("a cat").images
            expected_slice = np.array([0.1, 0.2, 0.3])
            assert np.abs(image[0, -3:, -1, -1] - expected_slice).max() < 1e-3
        """)
    assert codes(test, path="test_model.py") == []


def test_an_unread_deterministic_option_is_reported_and_a_read_one_is_not():
    script = textwrap.dedent("""\
        import argparse

        import torch

        if __name__ == "__main__":
            parser = argparse.ArgumentParser()
            parser.add_argument("--deterministic", action="store_true")
            args = parser.parse_args()
            model = torch.nn.Linear(2, 2).cuda()
            print(model(torch.ones(2, device="cuda")))
        """)
    assert codes(script) == [(7, "RPL301")]
    read = script.replace("    model =", "    torch.use_deterministic_algorithms(args.deterministic)\n    model =")
    assert codes(read) == []


def _fixed(source: str, target: str = "2.4", select=("RPL301",)) -> str:
    return fix_source(source, "train.py", Settings(select=select, target_version=target)).source


def test_the_fix_is_torch_only_at_the_start_of_main_and_leaves_no_rpl301():
    fixed = _fixed(TRAINING)
    ast.parse(fixed)
    assert "diffusers" not in fixed and "CUDA_LAUNCH_BLOCKING" not in fixed
    guard = fixed[fixed.index('if __name__ == "__main__":'):]
    assert guard.splitlines()[1:6] == [
        '    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")',
        "    torch.use_deterministic_algorithms(True)",
        "    torch.backends.cudnn.deterministic = True",
        "    torch.backends.cudnn.benchmark = False",
        "    main()",
    ]
    assert "import os" in fixed
    before = {code for _, code in codes(TRAINING, select=("ALL",))}
    after = {code for _, code in codes(fixed, select=("ALL",))}
    assert "RPL301" in before and after == before - {"RPL301"}


def test_the_fix_leaves_out_the_cublas_variable_where_the_target_torch_needs_none():
    fixed = _fixed(TRAINING, target="2.10")
    assert "CUBLAS_WORKSPACE_CONFIG" not in fixed and "import os" not in fixed
    assert "torch.use_deterministic_algorithms(True)" in fixed
    assert codes(fixed, target="2.10", select=("ALL",)) == [c for c in codes(TRAINING, target="2.10", select=("ALL",))
                                                            if c[1] != "RPL301"]


def test_the_fix_is_torch_only_where_diffusers_is_imported_too():
    # diffusers' enable_full_determinism() sets CUDA_LAUNCH_BLOCKING=1: the fix never calls it.
    with_diffusers = TRAINING.replace("import torch\n", "import torch\nfrom diffusers import UNet2DModel\n", 1)
    fixed = _fixed(with_diffusers)
    assert "enable_full_determinism" not in fixed and "CUDA_LAUNCH_BLOCKING" not in fixed
    assert "torch.use_deterministic_algorithms(True)" in fixed
    assert codes(fixed) == []


def test_no_fix_but_a_message_where_the_module_also_compiles_or_uses_tf32():
    compiled = TRAINING.replace('model = torch.nn.Linear(8, 8).to("cuda")',
                                'model = torch.compile(torch.nn.Linear(8, 8).to("cuda"))')
    report = Linter(Settings(select=("RPL301",), target_version="2.4")).lint_source(compiled, "train.py")
    (finding,) = report.findings
    assert finding.fix is None and "`torch.compile`" in finding.message and "RPL305" in finding.message
    # From torch 2.10 compiling keeps determinism: the fix is offered.
    (finding,) = Linter(Settings(select=("RPL301",), target_version="2.10")).lint_source(compiled, "train.py").findings
    assert finding.fix is not None
    tf32 = TRAINING.replace("def main():", "torch.backends.cuda.matmul.allow_tf32 = True\n\n\ndef main():")
    (finding,) = Linter(Settings(select=("RPL301",), target_version="2.10")).lint_source(tf32, "train.py").findings
    assert finding.fix is None and "TF32" in finding.message
    assert _fixed(tf32, target="2.10") == tf32


def test_a_cpu_test_with_a_stored_slice_beside_gpu_tests_is_not_reported():
    # diffusers' fast tests: "Run on CPU: the expected slice below is CPU-specific."
    test = textwrap.dedent("""\
        import numpy as np
        from diffusers.utils.testing_utils import require_torch_accelerator, torch_device


        def test_fast_on_cpu(pipe):
            image = pipe("a cat").images
            expected_slice = np.array([0.1, 0.2, 0.3])
            assert np.abs(image[0, -3:, -1, -1] - expected_slice).max() < 1e-3


        @require_torch_accelerator
        class SlowTests:
            def test_slow(self, pipe):
                image = pipe.to(torch_device)("a cat").images
                expected_slice = np.array([0.4, 0.5, 0.6])
                assert np.abs(image[0, -3:, -1, -1] - expected_slice).max() < 1e-3
        """)
    assert codes(test, path="test_model.py") == [(15, "RPL301")]


def test_an_onnxruntime_test_is_not_reported():
    test = textwrap.dedent("""\
        import numpy as np
        from diffusers import OnnxStableDiffusionPipeline


        def test_onnx_on_gpu():
            pipe = OnnxStableDiffusionPipeline.from_pretrained("x", provider="CUDAExecutionProvider")
            image = pipe("a cat").images
            expected_slice = np.array([0.1, 0.2, 0.3])
            assert np.abs(image[0, -3:, -1, -1] - expected_slice).max() < 1e-3
        """)
    assert codes(test, path="test_onnx.py") == []


def test_a_module_imported_by_its_neighbour_is_a_library_and_a_same_named_one_elsewhere_is_not(tmp_path):
    # pytorch/examples: dozens of ``main.py``; ``a/launch.py``'s ``import main`` is ``a/main.py``.
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "main.py").write_text(TRAINING)
    (tmp_path / "a" / "launch.py").write_text("import main\n\nmain.main()\n")
    (tmp_path / "setup.cfg").write_text("")
    report = Linter(Settings(select=("RPL301",), target_version="2.4")).lint_paths([str(tmp_path)])
    assert sorted((pathlib.Path(f.path).parent.name, f.start.line) for f in report.findings) == [("b", 11)]
