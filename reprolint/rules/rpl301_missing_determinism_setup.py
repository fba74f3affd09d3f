from __future__ import annotations

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import imports_of, reference
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog

ENABLE_FULL_DETERMINISM = "diffusers.utils.torch_utils.enable_full_determinism"


class MissingDeterminismSetup(Rule):
    """
    ## What it does
    Flags an entry point that places a pipeline or model on a GPU and runs it, with no
    determinism setup anywhere in the module. An entry point is a module that is run, not only
    imported: a notebook, a module with an `if __name__ == "__main__":` guard, an app script (a
    gradio or streamlit app that launches, a cog predictor), or one that calls a pipeline or a
    GPU-placed model, or runs a training loop, at its top level. Library modules (a model class
    that calls `.to("cuda")` in a method, an annotator's `__init__.py`, a `def cuda(self)` method)
    are not reported: the fix, a process-wide call at import time, does not belong there. The
    placement that counts is that of an object the module then runs; a project helper that returns
    a pipeline it placed on the GPU (`pipe = load_pipeline()`) places it too. GPU placements are `.to("cuda")`, `.to("cuda:0")`,
    `.to(f"cuda:{rank}")`, `.to(torch.device("cuda"))`, `.cuda()`, `device="cuda"` or
    `device_map="cuda"/"auto"/"balanced"` in `from_pretrained`, `enable_model_cpu_offload()`,
    `enable_sequential_cpu_offload()` and `enable_group_offload(onload_device=<cuda>)`.
    Determinism setup is any of `torch.use_deterministic_algorithms(True)`,
    `enable_full_determinism()` (diffusers or transformers), `set_seed(..., deterministic=True)`
    (accelerate or transformers), Lightning's `Trainer(deterministic=True)`, or a helper named in
    the `determinism-helpers` setting, or a function of the project that (directly or through
    other project functions) makes one of these calls: `from utils import make_deterministic`
    counts when `utils.py` is linted with the entry point. Reported once per module, at the first
    GPU placement.

    ## Why is this bad?
    Even with every generator seeded, CUDA picks kernels that are not bit-for-bit deterministic
    (atomic adds in convolutions and attention backward, cuBLAS workspace reuse, cuDNN
    autotuning). The same script then gives slightly different images or loss curves from run
    to run, and the differences grow over many denoising or training steps.

    ## Example
    ```python
    pipe = StableDiffusionPipeline.from_pretrained(model_id).to("cuda")
    image = pipe(prompt, generator=torch.Generator("cpu").manual_seed(0)).images[0]
    ```

    ## Use instead
    ```python
    from diffusers.utils.torch_utils import enable_full_determinism

    enable_full_determinism()
    pipe = StableDiffusionPipeline.from_pretrained(model_id).to("cuda")
    ```

    ## Fix safety
    Unsafe: deterministic kernels can be slower, and some operations raise an error under
    `torch.use_deterministic_algorithms(True)`. The fix adds
    `from diffusers.utils.torch_utils import enable_full_determinism` at the end of the module's
    leading imports (unless it is imported already) and one `enable_full_determinism()` call,
    after a blank line, right after them.

    ## Evidence
    - diffusers docs, `reusing_seeds.md`, "Deterministic algorithms".
    - PyTorch docs, `notes/randomness.rst`.
    """

    code = "RPL301"
    name = "missing-determinism-setup"
    summary = "GPU work without determinism setup"
    fix_safety = Applicability.UNSAFE
    # A placement is `.cuda()`, `.to(<a "cuda..." value>)`, an offload method, or a loading call
    # with `device_map=`/`device=` (`device="balanced"` names no "cuda").
    triggers = ("cuda", "offload", "from_pretrained", "from_single_file", "from_pipe")
    # A pipeline call shows the kernels' nondeterminism; without one, a training loop may.
    verification = Verification(
        observe=Observe.PIPELINE_CALLS, compare=Compare.SAME_SEED, training=True,
        drift="2 runs with the same seeds differ: {difference}",
        no_drift="no drift observed (2 runs with the same seeds identical)",
        gpu_only="cuDNN and cuBLAS kernels")

    def could_report(self, facts) -> bool:
        # Every finding needs a placement (the flow engine's add_placement, which the placement,
        # pipelines and project_calls families call).
        methods = facts.call_methods
        return bool(
            "cuda" in methods
            or ("to" in methods and facts.has_string_starting("cuda"))
            or (methods & (catalog.OFFLOAD_METHODS | {"enable_group_offload"})  # on a pipeline
                and facts.imported_roots & set(catalog.PIPELINE_PACKAGES))
            or (facts.words & catalog.LOADING_METHODS and facts.keywords & {"device_map", "device"})
        )

    def check(self, model):
        if model.determinism_setups or not model.is_entry_point():
            return
        for placement in model.placements:
            if not (placement.pipeline and model.pipeline_calls) and not (placement.keys & model.called_keys):
                continue
            yield self.report(
                model, placement.node,
                f"this module runs work on the GPU (`{placement.description}`) but never sets up "
                "determinism; call enable_full_determinism() (diffusers.utils.torch_utils) or "
                "torch.use_deterministic_algorithms(True) first",
                fix=self._fix(model),
            )
            return

    @staticmethod
    def _fix(model):
        function, imports = reference(imports_of(model), ENABLE_FULL_DETERMINISM, from_import=True)
        return Fix(Applicability.UNSAFE, "Call `enable_full_determinism()` after the imports",
                   imports=imports, statements_after_imports=(f"{function.value}()",))

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
            from diffusers.utils.torch_utils import enable_full_determinism

            enable_full_determinism()

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
            pipe = pipe.to("cuda")
            image = pipe("a cat", generator=torch.Generator("cpu").manual_seed(0)).images[0]
            """,
        ),
    ]
