"""Where generator findings are reported, and which calls count as consumers.

RULES.md, "Where findings are reported": RPL102, RPL104, RPL106 and RPL109 report at each pipeline
call that receives the generator or the latents, at that call's `generator=` / `latents=` argument,
and name where the generator or latents were made; the fix edits that place, once. A `generator=`
keyword marks a consumer whatever the receiver (a parameter `pipe`, a helper's return value), but
low-level draws (`torch.randn`, `scheduler.step`, `latent_dist.sample`, `randn_tensor`) are not
pipelines: a device generator is right there.
"""

from __future__ import annotations

import textwrap

import pytest

from reprolint.fix.apply import fix_source
from reprolint.settings import Settings
from tests.conftest import codes_at, lint

HEADER = """\
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5").to("cuda")
"""


def at(code: str, select: str, **settings) -> list:
    return [(line, column) for _, line, column in codes_at(lint(code, select=select, **settings))]


def fixed(code: str, select: str) -> str:
    outcome = fix_source(textwrap.dedent(code), "script.py", Settings(select=(select,)), unsafe=True)
    assert not outcome.errors, outcome.errors
    return outcome.source


# -- RPL106: one finding per consuming call, at its generator= argument ----------------------------

CUDA_TWICE = HEADER + """\
generator = torch.Generator("cuda").manual_seed(0)
cat = pipe("a cat", generator=generator).images[0]
generator.manual_seed(0)
dog = pipe(
    "a dog",
    generator=generator,
).images[0]
"""


def test_rpl106_reports_at_each_call_that_receives_the_gpu_generator():
    assert at(CUDA_TWICE, "RPL106") == [(6, 31), (10, 15)]


def test_rpl106_message_names_where_the_generator_was_made():
    first, second = lint(CUDA_TWICE, select="RPL106")
    for finding in (first, second):
        assert 'the generator made on line 5 (`torch.Generator("cuda")`)' in finding.message
        assert "`cuda`" in finding.message


def test_rpl106_noqa_works_per_call():
    code = CUDA_TWICE.replace("generator=generator).images[0]", "generator=generator).images[0]  # noqa: RPL106")
    assert at(code, "RPL106") == [(10, 15)]


def test_rpl106_reports_at_the_kwargs_that_carry_the_generator():
    code = HEADER + """\
g = torch.Generator(device="cuda").manual_seed(0)
inputs = {"prompt": "a cat", "generator": g}
image = pipe(**inputs).images[0]
"""
    assert at(code, "RPL106") == [(7, 16)]


def test_rpl106_fix_edits_the_creation_once_and_is_idempotent():
    once = fixed(CUDA_TWICE, "RPL106")
    assert once == CUDA_TWICE.replace('torch.Generator("cuda")', 'torch.Generator("cpu")')
    assert fixed(once, "RPL106") == once
    assert lint(once, select="RPL106") == []


def test_rpl106_fix_counts_every_finding_it_settles():
    outcome = fix_source(CUDA_TWICE, "script.py", Settings(select=("RPL106",)), unsafe=True)
    assert [(f.code, f.start.line) for f in outcome.applied] == [("RPL106", 6), ("RPL106", 10)]
    assert outcome.remaining == []


# -- RPL109: one finding per consuming call, at its latents= argument ------------------------------

LATENTS_TWICE = HEADER + """\
latents = torch.randn((1, 4, 64, 64), dtype=torch.float16)
cat = pipe("a cat", latents=latents.to("cuda")).images[0]
dog = pipe("a dog", latents=latents).images[0]
"""


def test_rpl109_reports_at_each_call_that_receives_the_latents():
    assert at(LATENTS_TWICE, "RPL109") == [(6, 29), (7, 29)]


def test_rpl109_message_names_where_the_latents_were_drawn():
    for finding in lint(LATENTS_TWICE, select="RPL109"):
        assert "the latents drawn on line 5 (`torch.randn((1, 4, 64, 64), dtype=torch.float16)`)" in finding.message


def test_rpl109_fix_seeds_the_draw_once():
    once = fixed(LATENTS_TWICE, "RPL109")
    assert once.count("generator=") == 1
    assert 'latents = torch.randn((1, 4, 64, 64), dtype=torch.float16, generator=torch.Generator("cpu").manual_seed(0))' in once
    assert fixed(once, "RPL109") == once


def test_rpl109_noqa_works_per_call():
    code = LATENTS_TWICE.replace("latents=latents).images[0]", "latents=latents).images[0]  # noqa: RPL109")
    assert at(code, "RPL109") == [(6, 29)]


# -- RPL102: at the reusing call's generator= argument; named global generators count ----------------

def test_rpl102_reports_at_the_generator_argument_and_names_its_creation():
    code = HEADER + """\
g = torch.Generator("cpu").manual_seed(0)
cat = pipe("a cat", generator=g).images[0]
dog = pipe("a dog", generator=g).images[0]
"""
    [finding] = lint(code, select="RPL102")
    assert (finding.start.line, finding.start.column) == (7, 31)
    assert 'made on line 5 (`torch.Generator("cpu")`)' in finding.message
    assert "consumed by the call at line 6" in finding.message


GLOBAL_NAMED = HEADER + """\
g = torch.manual_seed(1)
cat = pipe("a cat", generator=g).images[0]
dog = pipe("a dog", generator=g).images[0]
"""


def test_rpl102_named_global_generator_passed_to_two_calls_is_consumed():
    assert at(GLOBAL_NAMED, "RPL102") == [(7, 31)]
    [finding] = lint(GLOBAL_NAMED, select="RPL102")
    assert "made on line 5 (`torch.manual_seed(1)`)" in finding.message


def test_rpl102_named_global_generator_fix_reseeds_with_its_seed():
    once = fixed(GLOBAL_NAMED, "RPL102")
    assert "g.manual_seed(1)\ndog = pipe" in once
    assert fixed(once, "RPL102") == once


@pytest.mark.parametrize("between", [
    "torch.manual_seed(1)",
    "g.manual_seed(1)",
    "set_seed(1)",
])
def test_rpl102_global_generator_reseeded_between_calls_is_not_consumed(between):
    code = HEADER + f"""\
from accelerate.utils import set_seed
g = torch.manual_seed(1)
cat = pipe("a cat", generator=g).images[0]
{between}
dog = pipe("a dog", generator=g).images[0]
"""
    assert at(code, "RPL102") == []


def test_rpl102_inline_global_seeding_per_call_is_not_a_reuse():
    code = HEADER + """\
for prompt in ["a cat", "a dog"]:
    image = pipe(prompt, generator=torch.manual_seed(0)).images[0]
"""
    assert at(code, "RPL102") == []


def test_rpl102_helper_taking_the_generator_by_keyword_consumes_it():
    code = HEADER + """\
def render(prompt, generator=None):
    return pipe(prompt, generator=generator).images[0]

g = torch.Generator("cpu").manual_seed(0)
cat = render("a cat", generator=g)
dog = render("a dog", generator=g)
"""
    assert at(code, "RPL102") == [(10, 33)]


# -- RPL104: at each call; a generator= keyword marks a consumer, whatever the receiver -------------

def test_rpl104_message_names_where_a_named_global_generator_was_made():
    code = HEADER + """\
g = torch.manual_seed(0)
image = pipe("a cat", generator=g).images[0]
"""
    [finding] = lint(code, select="RPL104")
    assert (finding.start.line, finding.start.column) == (6, 33)
    assert "made on line 5 (`torch.manual_seed(0)`)" in finding.message


RPL104_UNKNOWN_RECEIVER = {
    "parameter-pipe": (
        """\
        import torch

        def render(pipe, prompt):
            return pipe(prompt, generator=torch.manual_seed(0)).images[0]
        """,
        [(4, 35)],
    ),
    "helper-return": (
        """\
        import torch
        from myproject.loading import load_pipeline

        image = load_pipeline("sdxl")("a cat", generator=torch.manual_seed(0)).images[0]
        """,
        [(4, 50)],
    ),
    "attribute-of-self": (
        """\
        import torch

        class Predictor:
            def setup(self, pipeline):
                self.pipe = pipeline

            def predict(self, prompt, seed):
                return self.pipe(prompt=prompt, generator=torch.manual_seed(seed)).images[0]
        """,
        [(8, 51)],
    ),
    "imported-helper": (
        """\
        import torch
        from myproject.infer import generate

        image = generate(prompt="a cat", generator=torch.manual_seed(7))
        """,
        [(4, 44)],
    ),
}

RPL104_LOW_LEVEL = {
    "torch-randn": "x = torch.randn((1, 4, 64, 64), generator=torch.manual_seed(0))\n",
    "randn-tensor": (
        "from diffusers.utils.torch_utils import randn_tensor\n"
        "x = randn_tensor((1, 4, 64, 64), generator=torch.manual_seed(0))\n"
    ),
    "scheduler-step": "out = scheduler.step(noise_pred, t, latents, generator=torch.manual_seed(0))\n",
    "latent-dist": "latents = vae.encode(image).latent_dist.sample(generator=torch.manual_seed(0))\n",
    "dataloader": (
        "from torch.utils.data import DataLoader\n"
        "loader = DataLoader(dataset, shuffle=True, generator=torch.manual_seed(0))\n"
    ),
    "local-noise-helper": (
        "def make_noise(shape, generator=None):\n"
        "    return torch.randn(shape, generator=generator)\n"
        "noise = make_noise((4, 4), generator=torch.manual_seed(0))\n"
    ),
}


@pytest.mark.parametrize("code,expected", RPL104_UNKNOWN_RECEIVER.values(), ids=RPL104_UNKNOWN_RECEIVER.keys())
def test_rpl104_generator_keyword_marks_a_consumer_whatever_the_receiver(code, expected):
    assert at(code, "RPL104") == expected


@pytest.mark.parametrize("code", RPL104_LOW_LEVEL.values(), ids=RPL104_LOW_LEVEL.keys())
def test_rpl104_low_level_draws_are_not_pipeline_consumers(code):
    assert at("import torch\n" + code, "RPL104") == []


# -- RPL106: unknown receivers that may be pipelines, accelerator devices -------------------------

RPL106_FLAG = {
    "log-validation-unannotated": (
        """\
        import torch

        def log_validation(pipeline, args, accelerator, pipeline_args):
            generator = torch.Generator(device=accelerator.device).manual_seed(args.seed)
            images = [pipeline(**pipeline_args, generator=generator).images[0] for _ in range(4)]
            return images
        """,
        [(5, 51)],
    ),
    "accelerator-annotated-device-name": (
        """\
        import torch
        from accelerate import Accelerator

        def validate(pipe, accelerator: Accelerator, seed: int):
            device = accelerator.device
            generator = torch.Generator(device=device).manual_seed(seed)
            return pipe("a photo of sks dog", generator=generator).images[0]
        """,
        [(7, 49)],
    ),
    "self-pipe-cuda-name": (
        """\
        import torch

        DEVICE = "cuda"

        class Predictor:
            def setup(self, pipeline):
                self.pipe = pipeline.to(DEVICE)

            def predict(self, prompt, seed):
                generator = torch.Generator(DEVICE).manual_seed(seed)
                return self.pipe(prompt=prompt, generator=generator).images
        """,
        [(11, 51)],
    ),
    "helper-return-mps": (
        """\
        import torch
        from myproject.loading import load_pipeline

        image = load_pipeline()("a cat", generator=torch.Generator("mps").manual_seed(0)).images[0]
        """,
        [(4, 44)],
    ),
    "local-helper-passing-it-to-a-pipeline": (
        """\
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("some/model")

        def render(prompt, generator):
            return pipe(prompt, generator=generator).images[0]

        image = render("a cat", torch.Generator("cuda").manual_seed(0))
        """,
        [(9, 25)],
    ),
}

RPL106_CLEAN = {
    "randn-on-cuda": """\
        import torch

        def sample(unet, scheduler, shape):
            g = torch.Generator("cuda").manual_seed(0)
            latents = torch.randn(shape, generator=g, device="cuda")
            for t in scheduler.timesteps:
                latents = scheduler.step(unet(latents, t).sample, t, latents, generator=g).prev_sample
            return latents
        """,
    "randn-tensor-and-latent-dist": """\
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        def prepare(vae, image, shape, accelerator):
            g = torch.Generator(device=accelerator.device).manual_seed(0)
            init = vae.encode(image).latent_dist.sample(generator=g)
            noise = randn_tensor(shape, generator=g, device=accelerator.device)
            return init, noise
        """,
    "unknown-callee-not-a-pipeline": """\
        import torch

        def run(model, x):
            g = torch.Generator("cuda").manual_seed(0)
            return model(x, generator=g)
        """,
    "unknown-device-parameter": """\
        import torch

        def render(pipe, prompt, device):
            g = torch.Generator(device=device).manual_seed(0)
            return pipe(prompt, generator=g).images[0]
        """,
    "cpu-generator-unknown-pipe": """\
        import torch

        def render(pipe, prompt, accelerator):
            g = torch.Generator("cpu").manual_seed(0)
            return pipe(prompt, generator=g).images[0]
        """,
}


@pytest.mark.parametrize("code,expected", RPL106_FLAG.values(), ids=RPL106_FLAG.keys())
def test_rpl106_unknown_receivers_and_accelerator_devices(code, expected):
    assert at(code, "RPL106") == expected


@pytest.mark.parametrize("code", RPL106_CLEAN.values(), ids=RPL106_CLEAN.keys())
def test_rpl106_low_level_draws_and_unknown_devices_are_not_flagged(code):
    assert at(code, "RPL106") == []
