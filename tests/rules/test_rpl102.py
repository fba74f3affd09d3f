"""RPL102 generator-reused on realistic code."""

import pytest

from tests.conftest import lint

HEADER = """
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
"""

FLAG = {
    "two-calls": (
        HEADER + """
g = torch.Generator("cpu").manual_seed(0)
cat = pipe("a cat", generator=g).images[0]
dog = pipe("a dog", generator=g).images[0]
""",
        [8],
    ),
    "loop-over-prompts": (
        HEADER + """
generator = torch.Generator("cpu").manual_seed(42)
for prompt in ["a cat", "a dog", "a fox"]:
    image = pipe(prompt, generator=generator).images[0]
""",
        [8],
    ),
    "reseeded-on-one-branch-only": (
        HEADER + """
g = torch.Generator().manual_seed(0)
first = pipe("a cat", generator=g).images[0]
if retry:
    g.manual_seed(0)
second = pipe("a cat", generator=g).images[0]
""",
        [10],
    ),
    "while-loop": (
        HEADER + """
g = torch.Generator().manual_seed(0)
while len(images) < 4:
    images.append(pipe("a cat", generator=g).images[0])
""",
        [8],
    ),
    "through-a-helper-function": (
        HEADER + """
def render(prompt, generator):
    return pipe(prompt, generator=generator).images[0]

g = torch.Generator().manual_seed(0)
render("a cat", g)
render("a dog", g)
""",
        [11],
    ),
    "generator-list-reused": (
        HEADER + """
generators = [torch.Generator().manual_seed(i) for i in range(4)]
batch_a = pipe(["a cat"] * 4, generator=generators).images
batch_b = pipe(["a dog"] * 4, generator=generators).images
""",
        [8],
    ),
    "same-parameter-twice": (
        """
        from diffusers import StableDiffusionPipeline

        def pair(pipe: StableDiffusionPipeline, prompt, generator):
            a = pipe(prompt, generator=generator).images[0]
            b = pipe(prompt, generator=generator).images[0]
            return a, b
        """,
        [5],
    ),
    "on-self": (
        """
        import torch
        from diffusers import DiffusionPipeline

        class Sampler:
            def __init__(self):
                self.pipe = DiffusionPipeline.from_pretrained("some/model")
                self.generator = torch.Generator().manual_seed(0)

            def variations(self, prompts):
                return [self.pipe(p, generator=self.generator).images[0] for p in prompts] + [
                    self.pipe("extra", generator=self.generator).images[0]
                ]
        """,
        [10, 11],
    ),
}

CLEAN = {
    "reseeded-inside-loop": HEADER + """
g = torch.Generator("cpu")
for prompt in ["a cat", "a dog"]:
    g.manual_seed(0)
    image = pipe(prompt, generator=g).images[0]
""",
    "fresh-generator-per-iteration": HEADER + """
for seed in range(4):
    generator = torch.Generator("cpu").manual_seed(seed)
    image = pipe("a cat", generator=generator).images[0]
""",
    "reseeded-between-calls": HEADER + """
g = torch.Generator().manual_seed(0)
cat = pipe("a cat", generator=g).images[0]
g.manual_seed(0)
dog = pipe("a dog", generator=g).images[0]
""",
    "custom-denoising-loop": """
import torch

g = torch.Generator().manual_seed(0)
latents = torch.randn((1, 4, 64, 64), generator=g)
for t in scheduler.timesteps:
    noise_pred = unet(latents, t).sample
    latents = scheduler.step(noise_pred, t, latents, generator=g).prev_sample
image = vae.decode(latents).sample
""",
    "rebound-in-branches": HEADER + """
g = torch.Generator().manual_seed(0)
cat = pipe("a cat", generator=g).images[0]
if upscale:
    g = torch.Generator().manual_seed(1)
else:
    g = torch.Generator().manual_seed(2)
dog = pipe("a dog", generator=g).images[0]
""",
    "return-ends-the-path": HEADER + """
def render(prompt, fast):
    g = torch.Generator().manual_seed(0)
    if fast:
        return pipe(prompt, generator=g, num_inference_steps=4).images[0]
    return pipe(prompt, generator=g).images[0]
""",
    "loop-with-fresh-list": HEADER + """
for batch in batches:
    generators = [torch.Generator().manual_seed(s) for s in batch.seeds]
    images = pipe(batch.prompts, generator=generators).images
""",
    "helper-called-once-per-generator": HEADER + """
def render(prompt, generator):
    return pipe(prompt, generator=generator).images[0]

render("a cat", torch.Generator().manual_seed(0))
render("a dog", torch.Generator().manual_seed(0))
""",
}


@pytest.mark.parametrize("code,lines", FLAG.values(), ids=FLAG.keys())
def test_flags(code, lines):
    assert [f.start.line for f in lint(code, select="RPL102")] == lines


@pytest.mark.parametrize("code", CLEAN.values(), ids=CLEAN.keys())
def test_does_not_flag(code):
    assert lint(code, select="RPL102") == []


def test_message_names_generator_and_earlier_line():
    [finding] = lint(FLAG["two-calls"][0], select="RPL102")
    assert "`g`" in finding.message and "line 7" in finding.message


# A pipeline's own ``__call__`` threading its generator through its helper methods (the latents,
# the masked image's latents): the correct pattern, which following project methods must not
# take for a reuse (seen on diffusers' community pipelines).
THREADING_PIPELINE = """
import torch
from diffusers import DiffusionPipeline
from diffusers.utils.torch_utils import randn_tensor


def retrieve_latents(output, generator=None):
    return output.latent_dist.sample(generator)


class InpaintPipeline(DiffusionPipeline):
    def prepare_latents(self, shape, generator):
        return randn_tensor(shape, generator=generator)

    def prepare_mask_latents(self, image, generator=None):
        return retrieve_latents(self.vae.encode(image), generator=generator)

    def __call__(self, image, generator=None):
        latents = self.prepare_latents((1, 4, 8, 8), generator)
        masked = self.prepare_mask_latents(image, generator=generator)
        return latents, masked
"""

# A comparison pipeline that runs several checkpoints' pipelines, through its own methods, with
# one generator: the second checkpoint gets the noise the first left over.
COMPARISON_PIPELINE = """
import torch
from diffusers import DiffusionPipeline, StableDiffusionPipeline


class ComparisonPipeline(DiffusionPipeline):
    def __init__(self):
        self.pipe1 = StableDiffusionPipeline.from_pretrained("CompVis/stable-diffusion-v1-1")
        self.pipe2 = StableDiffusionPipeline.from_pretrained("CompVis/stable-diffusion-v1-2")

    def text2img_sd1_1(self, prompt, generator=None):
        return self.pipe1(prompt, generator=generator)

    def text2img_sd1_2(self, prompt, generator=None):
        return self.pipe2(prompt, generator=generator)

    def __call__(self, prompt, generator=None):
        first = self.text2img_sd1_1(prompt, generator=generator)
        second = self.text2img_sd1_2(prompt, generator)
        return first, second
"""


def test_a_pipeline_threading_its_generator_through_its_methods_is_no_reuse():
    assert lint(THREADING_PIPELINE, select="RPL102") == []


def test_one_generator_handed_to_two_pipelines_through_methods_is_a_reuse():
    assert [f.start.line for f in lint(COMPARISON_PIPELINE, select="RPL102")] == [18]
