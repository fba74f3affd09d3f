from __future__ import annotations

from reprolint.findings import Applicability
from reprolint.rules.base import Example, Rule
from reprolint.rules.determinism_fix import determinism_fix, undoing_switches
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import gpu_evidence


class GpuInferenceWithoutDeterminism(Rule):
    """
    ## What it does
    RPL301's former, strict reading: flags an entry point that places a pipeline or model on a
    GPU and runs it, with no determinism setup anywhere in the module, also where it only runs
    it forward (seeded inference, demos, apps, benchmarks). Not reported where RPL301 reports
    the module, nor in a module another module of the project imports (a library). An entry
    point is a notebook, a module with an `if __name__ == "__main__":` guard, an app script (a
    gradio or streamlit app that launches, a cog predictor), or one that calls a pipeline or a
    GPU-placed model at its top level. GPU placements are `.to("cuda")`, `.cuda()`,
    `device="cuda"`/`device_map=...` in `from_pretrained`, and the offload methods. Reported once
    per module, at the first GPU placement. Off by default: enable it where bit-for-bit repeatable
    inference on one machine is a requirement.

    ## Why is this bad?
    Even with every generator seeded, some CUDA kernels are not bit-for-bit deterministic; the
    same script can give slightly different images from run to run. For forward-only inference
    the differences are usually far below what a person sees, which is why the rule is off by
    default.

    ## Example
    ```python
    pipe = StableDiffusionPipeline.from_pretrained(model_id).to("cuda")
    image = pipe(prompt, generator=torch.Generator("cpu").manual_seed(0)).images[0]
    ```

    ## Use instead
    ```python
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    pipe = StableDiffusionPipeline.from_pretrained(model_id).to("cuda")
    ```

    ## Fix safety
    Unsafe, as RPL301's fix (the same statements, placed the same way, and none where the module
    also uses xFormers, TF32 or, before torch 2.10, `torch.compile`).

    ## Evidence
    - diffusers docs, `reusing_seeds.md`, "Deterministic algorithms".
    - PyTorch docs, `notes/randomness.rst`.
    """

    code = "RPL308"
    name = "gpu-inference-without-determinism"
    summary = "GPU inference without determinism setup"
    default = False
    fix_safety = Applicability.UNSAFE
    triggers = ("cuda", "offload", "from_pretrained", "from_single_file", "from_pipe")
    # A pipeline call shows the kernels' nondeterminism; without one, a training loop may.
    verification = Verification(
        observe=Observe.PIPELINE_CALLS, compare=Compare.SAME_SEED, training=True,
        drift="2 runs with the same seeds differ: {difference}",
        no_drift="no drift observed (2 runs with the same seeds identical)",
        gpu_only="cuDNN and cuBLAS kernels")

    def check(self, model):
        if gpu_evidence.rpl301_evidence(model) is not None:
            return  # RPL301's finding
        placement = gpu_evidence.rpl308_placement(model)
        if placement is None:
            return
        undoing = undoing_switches(model, self.settings)
        also = (f"; it also uses {', '.join(undoing)}, which would undo a setup (RPL305), so there is no "
                "automatic fix") if undoing else ""
        yield self.report(
            model, placement.node,
            f"this entry point runs work on the GPU (`{placement.description}`) without determinism "
            f"setup: some kernels are not bit-for-bit repeatable{also}",
            fix=determinism_fix(model, self.settings, placement.node),
        )

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline
            from diffusers.utils.torch_utils import enable_full_determinism

            enable_full_determinism()
            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """
        ),
        Example(
            """
            import torch

            x = torch.ones(3).to("cuda")
            print(x.sum())
            """,
            note="a tensor is moved, no model is run",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            pipe = pipe.to("cuda")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """,
            expect=[(5, 8)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline
            import os

            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            pipe = pipe.to("cuda")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """,
        ),
    ]
