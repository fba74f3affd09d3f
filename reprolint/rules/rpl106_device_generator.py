from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.base import Example, Rule
from reprolint.semantic import catalog
from reprolint.semantic.values import device_kinds


def _describe(kinds: set) -> str:
    accelerators = sorted(k for k in kinds if not k.startswith("cpu"))
    text = " or ".join(f"`{k}`" for k in accelerators)
    if "cpu" in kinds:
        text += " (when one is available)"
    return text


class DeviceGenerator(Rule):
    """
    ## What it does
    Flags a generator created on `"cuda"`, `"cuda:N"`, `"mps"`, `device=pipe.device` or
    `accelerator.device` and passed to a pipeline call.

    ## Why is this bad?
    A CUDA generator's stream depends on the GPU model and the CUDA version: the same seed gives
    a different image on another card, and a totally different one on the CPU. It also breaks
    under CPU offload, where the latents are created on the CPU. A CPU generator gives the same
    noise everywhere; the pipeline moves it to the GPU.

    ## Example
    ```python
    generator = torch.Generator("cuda").manual_seed(0)
    image = pipe(prompt, generator=generator).images[0]
    ```

    ## Use instead
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    ```

    ## Fix safety
    Unsafe: the CPU stream differs from the CUDA stream, so the image changes once (and then
    stays the same on every machine). The fix replaces the device argument of the
    `torch.Generator(...)` call with `"cpu"` (`torch.Generator(device=pipe.device)` becomes
    `torch.Generator(device="cpu")`); nothing else on the line changes.

    ## Evidence
    - huggingface/diffusers#1906, #2973, #1047; on MPS: #934, #1630.
    - diffusers docs, `reusing_seeds.md`: "use a CPU generator".
    """

    code = "RPL106"
    name = "device-generator"
    summary = "generator created on a GPU device"
    fix_safety = Applicability.UNSAFE
    triggers = ("Pipeline",)
    requires_imports = catalog.PIPELINE_PACKAGES  # findings need a pipeline call

    def check(self, model):
        reported = set()
        for use in model.generator_uses:
            call = use.call
            if call.pipeline is None or not catalog.is_sampling_pipeline_class(call.pipeline.class_name):
                continue
            for obj in use.objects:
                if obj.opaque or obj.is_global or id(obj) in reported:
                    continue
                kinds = device_kinds(obj.device)
                if not any(catalog.is_accelerator_device_string(k) or k.startswith("<") for k in kinds):
                    continue
                reported.add(id(obj))
                yield self.report(
                    model, obj.created_at,
                    f"generator created on {_describe(kinds)} is passed to the pipeline call at line "
                    f"{model.line(call.node)}: its noise depends on the GPU and differs from the CPU's; "
                    'create it with torch.Generator("cpu")',
                    fix=self._fix(obj.created_at),
                )

    @staticmethod
    def _fix(created_at):
        if not isinstance(created_at, cst.Call):
            return None
        device = next((a for a in created_at.args if a.keyword is not None and a.keyword.value == "device"), None)
        if device is None and created_at.args and created_at.args[0].keyword is None and not created_at.args[0].star:
            device = created_at.args[0]
        if device is None:
            return None
        quote = "'" if isinstance(device.value, cst.SimpleString) and device.value.value.startswith("'") else '"'
        cpu = cst.SimpleString(f"{quote}cpu{quote}")
        return Fix(Applicability.UNSAFE, 'Create the generator on "cpu"', replacements={device.value: cpu})

    VALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            generator = torch.Generator("cpu").manual_seed(0)
            image = pipe("a cat", generator=generator).images[0]
            """
        ),
        Example(
            """
            import torch

            g = torch.Generator("cuda").manual_seed(0)
            noise = torch.randn((4, 4), generator=g, device="cuda")
            """,
            note="not passed to a pipeline",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            generator = torch.Generator(device=pipe.device).manual_seed(0)
            image = pipe("a cat", generator=generator).images[0]
            """,
            expect=[(5, 13)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            generator = torch.Generator(device="cpu").manual_seed(0)
            image = pipe("a cat", generator=generator).images[0]
            """,
        ),
    ]
