from __future__ import annotations

from reprolint.findings import Applicability
from reprolint.rules.base import Example, Rule
from reprolint.rules.determinism_fix import determinism_fix, undoing_switches
from reprolint.rules.verification import Compare, Verification
from reprolint.semantic import gpu_evidence


_TRAINING_METHODS = frozenset({"backward", "manual_backward", "fit"})


class MissingDeterminismSetup(Rule):
    """
    ## What it does
    Flags code whose GPU results are meant to repeat, with no determinism setup reached:

    1. **Seeded training**: an entry point (a module with an `if __name__ == "__main__":` guard,
       a notebook, an app, or one that trains at its top level) that seeds or takes a seed and
       runs a backward pass or an optimizer step on the GPU, directly, in a Lightning `fit`, or
       through a project function or class it calls (a launcher, a trainer class in another
       module whose methods call `backward`). Reported at the first GPU placement, else at the
       training step.
    2. **Comparisons with stored values**: a module (pytest test modules included) that uses the
       GPU and compares outputs with values stored from an earlier run: an `expected_slice =
       np.array([...])`-style literal, or a reference image or tensor loaded from a file into a
       name such as `expected_image`. Reported at that assignment. A comparison of two results
       computed in the same run (compiled against eager, fp16 against fp32) is not one.
    3. **Determinism asked for and a piece missing**: a `--deterministic` option that nothing
       reads, or a training entry point that sets `cudnn.deterministic = True` but never
       switches deterministic algorithms on (reported at that assignment).

    Timing benchmarks (a file named like `bench*.py` or `profile*.py`) promise speed, not
    repeatable results, and are not reported as training.

    A module that another module of the linted project imports is a library, whatever its
    `__main__` block holds: the setup belongs to the entry point that runs it. Seeded,
    forward-only inference, demo, app and benchmark scripts are not reported; RPL308 (off by
    default) holds that strict reading.

    Determinism setup is any of `torch.use_deterministic_algorithms(True)`,
    `enable_full_determinism()` (diffusers or transformers), `set_seed(..., deterministic=True)`
    (accelerate or transformers), Lightning's `Trainer(deterministic=True)`, a helper named in
    the `determinism-helpers` setting, or a function of the project that (directly or through
    other project functions) makes one of these calls.

    ## Why is this bad?
    Even with every generator seeded, CUDA picks kernels that are not bit-for-bit deterministic
    (atomic adds in convolution and attention backward passes, cuBLAS workspace reuse, cuDNN
    autotuning). A seeded training run then gives different loss curves and checkpoints from
    run to run, and a test against stored values fails or passes by chance.

    ## Example
    ```python
    import torch

    def main(seed=0):
        torch.manual_seed(seed)
        model = Net().to("cuda")
        for batch in loader:
            loss = model(batch.to("cuda")).mean()
            loss.backward()
            optimizer.step()

    if __name__ == "__main__":
        main()
    ```

    ## Use instead
    ```python
    if __name__ == "__main__":
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        main()
    ```

    ## Fix safety
    Unsafe: deterministic kernels can be slower, and some operations raise an error under
    `torch.use_deterministic_algorithms(True)`. The fix is torch-only:
    `torch.use_deterministic_algorithms(True)`, `torch.backends.cudnn.deterministic = True` and
    `torch.backends.cudnn.benchmark = False`, plus
    `os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")` where the target torch still
    needs it (before 2.10, see RPL302), at the start of the `__main__` block when the GPU work
    runs from there, else after the module's imports; also in a module that imports diffusers,
    because diffusers' `enable_full_determinism()` sets `CUDA_LAUNCH_BLOCKING=1`, which serialises
    every kernel launch and makes nothing more deterministic. It never sets `CUDA_LAUNCH_BLOCKING`. Where the module also uses xFormers, TF32 or (before
    torch 2.10) `torch.compile`, there is no automatic fix and the message says why: the setup
    would only trade this finding for RPL305's, and which to give up is the author's call.

    ## Evidence
    - PyTorch docs, `notes/randomness.rst`.
    - diffusers docs, `reusing_seeds.md`, "Deterministic algorithms"; diffusers' test modules
      call `enable_full_determinism()` before comparing with `expected_slice` values.
    """

    code = "RPL301"
    name = "missing-determinism-setup"
    summary = "seeded GPU training or a stored-value test without determinism setup"
    fix_safety = Applicability.UNSAFE
    triggers = ("cuda", "torch_device", "require_torch_gpu", "require_torch_accelerator", "ccelerator",
                "Trainer")  # "ccelerator": accelerate's Accelerator and accelerator, torch.accelerator
    # Two whole runs with the same seeds: the finding is about the module, not one call.
    verification = Verification(observe=None, compare=Compare.SAME_SEED, training=True,
                                gpu_only="cuDNN and cuBLAS kernels")

    @classmethod
    def could_report(cls, facts) -> bool:
        # One of gpu_evidence's three reasons must be possible: a stored reference assigned to an
        # `expected_*`-style name; determinism asked for (cuDNN's flag, a --deterministic option);
        # or training: a backward pass, a Lightning fit or an optimizer step here, or a main guard
        # whose entry point may reach one through a project launcher.
        return bool(
            any(gpu_evidence.EXPECTED_NAME.match(name) for name in facts.stored_names)
            or "deterministic" in facts.stored_names or facts.has_string_starting("--deterministic")
            or facts.call_methods & _TRAINING_METHODS
            or ("step" in facts.call_methods and any("optim" in word.lower() for word in facts.words))
            or facts.main_guard
        )

    def check(self, model):
        evidence = gpu_evidence.rpl301_evidence(model)
        if evidence is None:
            return
        undoing = undoing_switches(model, self.settings)
        advice = ("call torch.use_deterministic_algorithms(True) and set cudnn.deterministic = True where it "
                  "starts")
        if undoing:
            advice += (f"; it also uses {', '.join(undoing)}, which would undo that (RPL305), so there is no "
                       "automatic fix: choose speed or repeatability")
        yield self.report(
            model, evidence.node,
            f"this code {evidence.description}, and reaches no determinism setup: GPU kernels are "
            f"not bit-for-bit repeatable; {advice}",
            fix=determinism_fix(model, self.settings, evidence.node),
        )

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """,
            note="seeded forward-only inference: RPL308's strict reading, off by default",
        ),
        Example(
            """
            import torch

            def main(seed=0):
                torch.manual_seed(seed)
                model = torch.nn.Linear(2, 2).to("cuda")
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                for _ in range(10):
                    loss = model(torch.ones(2, device="cuda")).sum()
                    loss.backward()
                    optimizer.step()

            if __name__ == "__main__":
                torch.use_deterministic_algorithms(True)
                main()
            """
        ),
        Example(
            """
            import torch

            def test_compiled_matches_eager():
                model = torch.nn.Linear(2, 2).to("cuda")
                x = torch.ones(2, device="cuda")
                expected = model(x)
                assert torch.allclose(torch.compile(model)(x), expected, atol=1e-4)
            """,
            note="two results of the same run, compared under a tolerance",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            def main(seed=0):
                torch.manual_seed(seed)
                model = torch.nn.Linear(2, 2).to("cuda")
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                for _ in range(10):
                    loss = model(torch.ones(2, device="cuda")).sum()
                    loss.backward()
                    optimizer.step()

            if __name__ == "__main__":
                main()
            """,
            expect=[(5, 13)],
        ),
        Example(
            """
            import numpy as np
            import torch
            from diffusers import StableDiffusionPipeline

            def test_stable_diffusion():
                pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
                pipe = pipe.to("cuda")
                image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0), output_type="np").images
                expected_slice = np.array([0.1, 0.2, 0.3])
                assert np.abs(image[0, -3:, -1, -1] - expected_slice).max() < 1e-3
            """,
            expect=[(9, 5)],
            fixed="""
            import numpy as np
            import torch
            from diffusers import StableDiffusionPipeline
            import os

            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

            def test_stable_diffusion():
                pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
                pipe = pipe.to("cuda")
                image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0), output_type="np").images
                expected_slice = np.array([0.1, 0.2, 0.3])
                assert np.abs(image[0, -3:, -1, -1] - expected_slice).max() < 1e-3
            """,
        ),
    ]
