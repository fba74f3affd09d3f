"""Fixed scripts, run: safe fixes keep the random streams, unsafe ones make the result stop
depending on torch's global random state.

The scripts run against a stand-in ``diffusers`` module whose pipeline draws its "image" with
``torch.randn(..., generator=generator)`` exactly as a real pipeline draws its initial noise, so
the test needs torch (the ``verify`` extra) but no model.
"""

from __future__ import annotations

import inspect
import sys
import types

import pytest

from reprolint.fix import fix_source
from reprolint.settings import Settings

torch = pytest.importorskip("torch")


class _StandInPipeline:
    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        return cls()

    def to(self, *args, **kwargs):
        return self

    def __call__(self, prompt, generator=None, num_images_per_prompt=1, latents=None, **kwargs):
        if latents is not None:  # given latents, a pipeline draws no initial noise
            return types.SimpleNamespace(images=[latents.clone()])
        generators = generator if isinstance(generator, list) else [generator] * num_images_per_prompt
        return types.SimpleNamespace(images=[torch.randn(8, generator=g) for g in generators])


@pytest.fixture
def stand_in_diffusers(monkeypatch):
    module = types.ModuleType("diffusers")
    module.StableDiffusionPipeline = _StandInPipeline
    monkeypatch.setitem(sys.modules, "diffusers", module)


def _run(source: str, global_seed: int) -> dict:
    """Run a script after seeding the global generator; its tensors, by variable name."""
    torch.manual_seed(global_seed)
    namespace: dict = {}
    exec(compile(source, "script.py", "exec"), namespace)
    return {k: v for k, v in namespace.items() if isinstance(v, (torch.Tensor, list))}


def _same(left: dict, right: dict) -> bool:
    def flat(values):
        return [t for v in values.values() for t in (v if isinstance(v, list) else [v])]
    return left.keys() == right.keys() and all(torch.equal(a, b) for a, b in zip(flat(left), flat(right)))


HEADER = """
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
"""


def _script(body: str) -> str:
    return inspect.cleandoc(HEADER) + "\n" + inspect.cleandoc(body) + "\n"


def test_safe_global_generator_fix_keeps_the_stream(stand_in_diffusers):
    source = _script("""
        torch.randn(3)  # other global draws before the call do not matter: the seed resets them
        image = pipe("a cat", generator=torch.manual_seed(42)).images[0]
    """)
    outcome = fix_source(source, "script.py", Settings(), unsafe=False)
    assert [f.code for f in outcome.applied] == ["RPL104"]
    assert _same(_run(source, 0), _run(outcome.source, 0))


def test_safe_list_aliasing_fix_keeps_the_first_image(stand_in_diffusers):
    source = _script("""
        generators = [torch.Generator("cpu").manual_seed(5)] * 3
        images = pipe("a cat", generator=generators).images
    """)
    outcome = fix_source(source, "script.py", Settings(), unsafe=False)
    assert [f.code for f in outcome.applied] == ["RPL105"]
    before, after = _run(source, 0)["images"], _run(outcome.source, 0)["images"]
    assert torch.equal(before[0], after[0])
    # ...and each image now reproduces alone: image i is the seed 5 + i draw.
    assert torch.equal(after[2], torch.randn(8, generator=torch.Generator("cpu").manual_seed(7)))


def test_unsafe_fixes_make_results_independent_of_the_global_state(stand_in_diffusers):
    source = _script("""
        g = torch.Generator("cpu").manual_seed(0)
        first = pipe("a cat", generator=g).images[0]
        second = pipe("a dog", generator=g).images[0]
        third = pipe("a fox").images[0]
        loop = []
        for prompt in ["a", "b"]:
            loop.append(pipe(prompt).images[0])
    """)
    assert not _same(_run(source, 1), _run(source, 2))  # the global state leaks in
    outcome = fix_source(source, "script.py", Settings(), unsafe=True)
    assert sorted({f.code for f in outcome.applied}) == ["RPL101", "RPL102"]
    runs = [_run(outcome.source, seed) for seed in (1, 2)]
    assert _same(*runs)
    # The re-seeded second call gives what the first call alone gives; loop seeds differ per iteration.
    assert torch.equal(runs[0]["first"], runs[0]["second"])
    assert not torch.equal(runs[0]["loop"][0], runs[0]["loop"][1])


def test_unsafe_latents_fix_makes_hand_drawn_latents_reproducible(stand_in_diffusers):
    source = _script("""
        images = []
        for i in range(2):
            latents = torch.randn((8,))
            images.append(pipe("a cat", latents=latents).images[0])
    """)
    assert not _same(_run(source, 1), _run(source, 2))
    outcome = fix_source(source, "script.py", Settings(select=("RPL109",)), unsafe=True)
    assert [f.code for f in outcome.applied] == ["RPL109"]
    runs = [_run(outcome.source, seed) for seed in (1, 2)]
    assert _same(*runs)
    assert not torch.equal(runs[0]["images"][0], runs[0]["images"][1])  # seed 0 + i per iteration


def _namespace(source: str, global_seed: int = 0) -> dict:
    torch.manual_seed(global_seed)
    namespace: dict = {}
    exec(compile(source, "module.py", "exec"), namespace)
    return namespace


GENERATOR_DEFAULT = '''
import torch


def add_noise(x, generator=torch.Generator("cpu").manual_seed(7)):
    """Seeded noise."""
    return x + torch.randn(x.shape, generator=generator)


class Sampler:
    def __init__(self, *, generator=torch.Generator().manual_seed(3)):
        self.generator = generator

    def draw(self):
        return torch.rand(4, generator=self.generator)
'''


def test_safe_generator_default_fix_gives_every_call_what_the_first_call_got():
    outcome = fix_source(GENERATOR_DEFAULT, "module.py", Settings(select=("RPL114",)), unsafe=False)
    assert [f.code for f in outcome.applied] == ["RPL114", "RPL114"]
    x = torch.zeros(5)
    # Before: the first call of a fresh module is the seeded draw; later calls continue the stream.
    before = _namespace(GENERATOR_DEFAULT)
    first, second = before["add_noise"](x), before["add_noise"](x)
    assert not torch.equal(first, second)
    first_instance = before["Sampler"]().draw()
    assert not torch.equal(first_instance, before["Sampler"]().draw())  # instances share it
    # After: every call is that first call, whatever the global state and whatever ran before.
    after = _namespace(outcome.source, global_seed=99)
    assert all(torch.equal(after["add_noise"](x), first) for _ in range(3))
    assert all(torch.equal(after["Sampler"]().draw(), first_instance) for _ in range(3))
    # A call that passes its own generator is unchanged.
    mine = lambda: torch.Generator().manual_seed(11)  # noqa: E731
    assert torch.equal(after["add_noise"](x, generator=mine()), before["add_noise"](x, generator=mine()))
    assert after["add_noise"].__doc__ == before["add_noise"].__doc__
