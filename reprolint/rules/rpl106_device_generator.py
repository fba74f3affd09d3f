from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import catalog, initial_noise
from reprolint.semantic.values import Generator, device_kinds


_SYMBOLIC_DEVICES = {"<pipeline>.device": "the pipeline's device", "<accelerator>.device": "the accelerator's device"}


def _describe(kinds: set) -> str:
    accelerators = sorted(k for k in kinds if not k.startswith("cpu"))
    text = " or ".join(_SYMBOLIC_DEVICES.get(k, f"`{k}`") for k in accelerators)
    if "cpu" in kinds:
        text += " (when one is available)"
    return text


def _on_device(obj) -> set:
    """The device kinds of a generator made here on a GPU or MPS (or on the pipeline's or the
    accelerator's device); empty for a CPU generator or one whose device is unknown."""
    if obj.opaque or obj.is_global or obj.created_at is None:
        return set()
    kinds = device_kinds(obj.device)
    if not any(catalog.is_accelerator_device_string(k) or k.startswith("<") for k in kinds):
        return set()
    return kinds


class DeviceGenerator(Rule):
    """
    ## What it does
    Flags each pipeline call that receives a generator created on a GPU or MPS device:
    `torch.Generator("cuda")`, `"cuda:N"`, `f"cuda:{rank}"`, `"mps"`, `torch.device("cuda")`, a
    name bound to one of these (`device = "cuda"`, also `"cuda" if torch.cuda.is_available()
    else "cpu"`), the pipeline's device (`device=pipe.device`) or the accelerator's device
    (`device=accelerator.device`, also through `device = accelerator.device`, and where
    `accelerator` is a function's parameter annotated `Accelerator` or named `accelerator`).
    A pipeline call is:

    - a call of a known diffusers pipeline, or of a project pipeline class or loader;
    - a call of a function of the project that passes the generator on to one;
    - a call of something unknown named like a pipeline: a parameter `pipe` or `pipeline`,
      `self.pipe`, the return value of `load_pipeline()`.

    The finding is reported at that call's `generator=` argument (or at the `**kwargs` that
    carry it), once per call, and names the line where the generator was made, so `# noqa` works
    call by call. Low-level draws are not pipelines and are never flagged: `torch.randn(...,
    generator=g, device="cuda")`, `randn_tensor(...)`, `scheduler.step(..., generator=g)` and
    `latent_dist.sample(generator=g)` need a generator on the device they draw on. Nor are
    pipelines that draw no noise, or a generator whose device is not known (a `device`
    parameter).

    Also flags the one draw of initial noise of a sampling function from a seeded generator made
    on a GPU for that draw alone: `torch.randn(shape, generator=torch.Generator("cuda").manual_seed(seed),
    device="cuda")` in a `get_noise`-style helper, reported at the draw's `generator=`. Initial
    noise is a draw outside loops in a function that returns it (`return torch.randn(...)`,
    `noise = ...; return noise`) or that runs a loop after it (the denoising loop). A generator
    that other calls share (threaded through a custom loop to `scheduler.step`) stays unflagged,
    as above, and so does noise a training step draws for `add_noise`. diffusers' `randn_tensor` is
    such a draw: with a GPU generator it draws on the GPU; with a CPU generator it draws on the CPU
    and moves the noise to its `device` argument, so `randn_tensor(shape, generator=cpu_generator,
    device="cuda")` is the reproducible form and is not flagged. No diffusers pipeline (0.42)
    takes an argument that puts its noise on the GPU by itself (`rand_device` is a local name
    inside `randn_tensor`, not a parameter); where the noise lands is decided by the generator's
    device alone, which is what this rule reads.

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
    No fix for a draw of initial noise: a CPU generator needs the draw on the CPU and a move
    to the GPU after it, a rewrite of the draw left to the author.

    Unsafe for a pipeline call: the CPU stream differs from the CUDA stream, so the image changes once (and then
    stays the same on every machine). The fix edits where the generator is made, not the call:
    it replaces the device argument of the `torch.Generator(...)` call with `"cpu"`
    (`torch.Generator(device=pipe.device)` becomes `torch.Generator(device="cpu")`); nothing else
    on the line changes. Several calls that receive the same generator share that one edit.

    ## Evidence
    - huggingface/diffusers#1906, #2973, #1047; on MPS: #934, #1630.
    - diffusers docs, `reusing_seeds.md`: "use a CPU generator".
    """

    code = "RPL106"
    name = "device-generator"
    summary = "generator created on a GPU device passed to a pipeline"
    fix_safety = Applicability.UNSAFE
    triggers = ("Generator",)
    requires_imports = catalog.GENERATOR_PACKAGES  # findings need a torch.Generator created here
    verification = Verification(
        observe=Observe.RECEIVING_CALL, compare=Compare.DEVICES,
        drift="between cpu and cuda: {difference}",
        no_drift="no drift beyond float error between cpu and cuda: {difference}",
        cross_device_fix="the fix (cpu generator)",
        needs_both_devices="a device generator shows its drift between cpu and cuda")

    @classmethod
    def could_report(cls, facts) -> bool:
        return "Generator" in facts.words

    def check(self, model):
        yield from self._initial_noise_draws(model)
        fixes: dict = {}  # creation nodes -> the one Fix every finding about them shares
        for use in model.generator_uses:
            call = use.call
            if not use.at_pipeline_like:
                continue
            if call.pipeline is not None and not catalog.is_sampling_pipeline_class(call.pipeline.class_name):
                continue
            made = [(obj, _on_device(obj)) for obj in use.objects]
            made = [(obj, kinds) for obj, kinds in made if kinds]
            if not made:
                continue
            creations = tuple(dict.fromkeys(obj.created_at for obj, _ in made))
            kinds = set().union(*(k for _, k in made))
            if all(model.encloses(use.expr, node) for node in creations):
                subject = f"this generator is created on {_describe(kinds)}"
            else:
                single = isinstance(use.value, Generator)
                where = ", ".join(model.made_at(node) for node in creations)
                receiver = (f"to `{call.via_function}`, which passes it on to a pipeline"
                            if use.consumer == "helper" else "to this pipeline call")
                subject = (f"{'the generator' if single else 'the generators'} made on {where} "
                           f"{'is' if single else 'are'} on {_describe(kinds)} and passed {receiver}")
            key = tuple(id(node) for node in creations)
            if key not in fixes:
                fixes[key] = self._fix(creations)
            yield self.report(
                model, use.expr,
                f"{subject}: its noise depends on the GPU and differs from the CPU's; "
                f'create {"it" if isinstance(use.value, Generator) else "them"} with torch.Generator("cpu")',
                fix=fixes[key],
            )

    def _initial_noise_draws(self, model):
        """A sampling function's one draw of initial noise from a seeded generator made on a GPU
        for it alone: ``torch.randn(shape, generator=torch.Generator("cuda").manual_seed(seed))``.
        A generator that other calls share (a custom loop threading it to ``scheduler.step``) is
        on the device those calls draw on, and is left alone; so is noise a training step draws
        for ``add_noise``."""
        for use in model.generator_uses:
            call = use.call
            if call.qualname not in catalog.TORCH_RANDOM_FUNCTIONS or call.scope == "<module>" or call.loop_depth:
                continue
            for obj in use.objects:
                kinds = _on_device(obj)
                state = use.states.get(obj)
                if not kinds or state is None or state.seeds != frozenset({"manual"}):
                    continue
                if len(model.uses_of(obj)) != 1 or not initial_noise.is_initial_noise(model, call.node):
                    continue
                where = ("this generator is created" if model.encloses(use.expr, obj.created_at)
                         else f"the generator made on {model.made_at(obj.created_at)} is")
                if call.qualname in catalog.TORCH_RANDOM_FUNCTIONS and call.qualname.endswith(".randn_tensor"):
                    # randn_tensor draws on a CPU generator's device and moves the noise itself.
                    advice = ("pass a CPU generator (`torch.Generator(\"cpu\").manual_seed(seed)`): randn_tensor "
                              "then draws on the CPU and moves the noise to `device`")
                else:
                    advice = ("draw it with a CPU generator and move it (`torch.randn(shape, "
                              "generator=torch.Generator(\"cpu\").manual_seed(seed)).to(device)`)")
                yield self.report(
                    model, use.expr,
                    f"{where} on {_describe(kinds)} and seeded to draw this initial noise: the noise depends on "
                    f"the GPU and differs from the CPU's for the same seed; {advice}",
                )
                break

    @staticmethod
    def _fix(creations):
        replacements = {}
        for created_at in creations:
            if not isinstance(created_at, cst.Call):
                return None
            device = next((a for a in created_at.args if a.keyword is not None and a.keyword.value == "device"), None)
            if device is None and created_at.args and created_at.args[0].keyword is None and not created_at.args[0].star:
                device = created_at.args[0]
            if device is None:
                return None
            quote = "'" if isinstance(device.value, cst.SimpleString) and device.value.value.startswith("'") else '"'
            replacements[device.value] = cst.SimpleString(f"{quote}cpu{quote}")
        return Fix(Applicability.UNSAFE, 'Create the generator on "cpu"', replacements=replacements)

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
        Example(
            """
            import torch

            def encode(vae, image, accelerator):
                generator = torch.Generator(device=accelerator.device).manual_seed(0)
                return vae.encode(image).latent_dist.sample(generator=generator)
            """,
            note="a low-level draw needs a generator on its own device",
        ),
        Example(
            """
            import torch

            def sample(unet, scheduler, shape, seed):
                generator = torch.Generator("cuda").manual_seed(seed)
                x = torch.randn(shape, generator=generator, device="cuda")
                for t in scheduler.timesteps:
                    x = scheduler.step(unet(x, t).sample, t, x, generator=generator).prev_sample
                return x
            """,
            note="one generator threaded through a custom loop: on the device its draws use",
        ),
        Example(
            """
            import torch
            from diffusers.utils.torch_utils import randn_tensor

            def prepare_latents(shape, seed):
                generator = torch.Generator("cpu").manual_seed(seed)
                return randn_tensor(shape, generator=generator, device="cuda")
            """,
            note="randn_tensor draws on the CPU generator's device and moves the noise to the GPU",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers.utils.torch_utils import randn_tensor

            def prepare_latents(shape, seed):
                return randn_tensor(shape, generator=torch.Generator("cuda").manual_seed(seed), device="cuda")
            """,
            expect=[(5, 42)],
            note="randn_tensor with a GPU generator draws the initial noise on the GPU",
        ),
        Example(
            """
            import torch

            def get_noise(num_samples, height, width, seed):
                return torch.randn(
                    num_samples, 16, height // 8, width // 8,
                    device="cuda",
                    generator=torch.Generator(device="cuda").manual_seed(seed),
                )
            """,
            expect=[(7, 19)],
            note="a noise helper: the initial noise of a sampling function",
        ),
        Example(
            """
            import torch

            def log_validation(pipeline, accelerator, args):
                generator = torch.Generator(device=accelerator.device).manual_seed(args.seed)
                return [pipeline(p, generator=generator).images[0] for p in args.prompts]
            """,
            expect=[(5, 35)],
            note="a parameter named like a pipeline, and the accelerator's device",
        ),
        Example(
            """
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            generator = torch.Generator(device=pipe.device).manual_seed(0)
            image = pipe("a cat", generator=generator).images[0]
            """,
            expect=[(6, 33)],
            fixed="""
            import torch
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
            generator = torch.Generator(device="cpu").manual_seed(0)
            image = pipe("a cat", generator=generator).images[0]
            """,
        ),
    ]
