"""RPL101 pipeline-call-without-generator on realistic code."""

import pytest

from tests.conftest import lint

FLAG = {
    "aliased-import-sd": (
        """
        import torch
        from diffusers import StableDiffusionPipeline as SD

        pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16)
        pipe = pipe.to("cuda")
        image = pipe("a castle", num_inference_steps=25).images[0]
        """,
        [6],
    ),
    "module-import-ddim": (
        """
        import diffusers

        pipe = diffusers.DDIMPipeline.from_pretrained("google/ddpm-cifar10-32")
        images = pipe(batch_size=4, num_inference_steps=50).images
        """,
        [4],
    ),
    "auto-pipeline-in-loop": (
        """
        from diffusers import AutoPipelineForText2Image

        pipe = AutoPipelineForText2Image.from_pretrained("stabilityai/sdxl-turbo")
        for prompt in ["a fox", "a cat"]:
            image = pipe(
                prompt,
                num_inference_steps=1,
                guidance_scale=0.0,
            ).images[0]
        """,
        [5],
    ),
    "pipeline-on-self": (
        """
        from diffusers import StableDiffusionXLPipeline

        class Renderer:
            def __init__(self, model):
                self.pipe = StableDiffusionXLPipeline.from_pretrained(model)

            def render(self, prompt):
                return self.pipe(prompt=prompt).images[0]
        """,
        [8],
    ),
    "annotated-parameter": (
        """
        from diffusers import StableDiffusionPipeline

        def render(pipe: StableDiffusionPipeline, prompt: str):
            return pipe(prompt).images[0]
        """,
        [4],
    ),
    "pipeline-passed-to-helper": (
        """
        from diffusers import DiffusionPipeline

        def render(pipe, prompt):
            return pipe(prompt, num_inference_steps=20).images[0]

        pipe = DiffusionPipeline.from_pretrained("some/model")
        render(pipe, "a cat")
        render(pipe, "a dog")
        """,
        [4],
    ),
    "from-pipe-and-dunder-call": (
        """
        from diffusers import StableDiffusionPipeline, StableDiffusionImg2ImgPipeline

        base = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
        img2img = StableDiffusionImg2ImgPipeline.from_pipe(base)
        out = img2img.__call__(prompt="a cat", image=init_image, strength=0.6)
        """,
        [5],
    ),
    "kwargs-dict-without-generator": (
        """
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("some/model")
        inputs = {"prompt": "a cat", "num_inference_steps": 2}
        image = pipe(**inputs).images[0]
        """,
        [5],
    ),
    "tuple-unpacking": (
        """
        from diffusers import DDPMPipeline, DDIMPipeline

        ddpm, ddim = DDPMPipeline.from_pretrained("a/b"), DDIMPipeline.from_pretrained("a/b")
        image = ddim(num_inference_steps=10).images[0]
        """,
        [4],
    ),
}

CLEAN = {
    "seeded-generator": """
        import torch
        from diffusers import StableDiffusionPipeline

        pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
        image = pipe("a castle", generator=torch.Generator("cpu").manual_seed(0)).images[0]
        """,
    "no-noise-pipeline": """
        from diffusers import FluxPriorReduxPipeline

        redux = FluxPriorReduxPipeline.from_pretrained("black-forest-labs/FLUX.1-Redux-dev")
        prior_output = redux(image)
        """,
    "kwargs-carry-generator": """
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("some/model")
        inputs = {"prompt": "a cat", "generator": torch.Generator().manual_seed(0)}
        image = pipe(**inputs).images[0]
        """,
    "unknown-kwargs": """
        from diffusers import DiffusionPipeline

        def run(pipe: DiffusionPipeline, **kwargs):
            return pipe("a cat", **kwargs)
        """,
    "latents-given": """
        import torch
        from diffusers import StableDiffusionPipeline

        pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
        latents = torch.load("latents.pt")
        image = pipe("a cat", latents=latents).images[0]
        """,
    "not-a-diffusers-object": """
        from transformers import pipeline

        pipe = pipeline("text-generation")
        text = pipe("Hello")
        """,
    "suffix-is-not-enough": """
        from mylib import StableDiffusionPipeline

        pipe = StableDiffusionPipeline.from_pretrained("x")
        image = pipe("a cat")
        """,
    "generator-param-passed-through": """
        from diffusers import StableDiffusionPipeline

        def render(pipe: StableDiffusionPipeline, prompt, generator):
            return pipe(prompt, generator=generator).images[0]
        """,
    "noqa": """
        from diffusers import DDPMPipeline

        pipe = DDPMPipeline.from_pretrained("google/ddpm-cat-256")
        image = pipe().images[0]  # noqa: RPL101
        """,
}


@pytest.mark.parametrize("code,lines", FLAG.values(), ids=FLAG.keys())
def test_flags(code, lines):
    assert [f.start.line for f in lint(code, select="RPL101")] == lines


@pytest.mark.parametrize("code", CLEAN.values(), ids=CLEAN.keys())
def test_does_not_flag(code):
    assert lint(code, select="RPL101") == []
