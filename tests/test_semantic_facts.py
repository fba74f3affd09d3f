"""The tree-read facts rules ask the semantic model for (issue 22 moved them out of RPL113,
RPL114 and RPL307): generators a function or class holds, and the one value a name is bound to."""

from __future__ import annotations

import textwrap

import libcst as cst

from reprolint.semantic.analyzer import analyse


def model_of(code: str):
    code = textwrap.dedent(code)
    return analyse(cst.parse_module(code), code, "job.py")


def _function(model, name: str) -> cst.FunctionDef:
    return next(n for n in model.syntax.nodes(cst.FunctionDef) if n.name.value == name)


def _class(model, name: str) -> cst.ClassDef:
    return next(n for n in model.syntax.nodes(cst.ClassDef) if n.name.value == name)


PIPELINE_HELPER = """
    import torch
    from torch import Generator as G

    class Refiner:
        def __init__(self, pipe, seed, generator=None, device="cuda"):
            self.pipe = pipe
            self.cpu_generator = torch.Generator().manual_seed(seed)
            self.gpu_generator = G(device).manual_seed(seed)
            self.passed = generator
            self.unseeded = torch.Generator()

        @staticmethod
        def make(seed):
            self.static = torch.Generator().manual_seed(seed)

    def render(pipe, prompts, seed):
        g = torch.Generator("cpu").manual_seed(seed)
        later = torch.Generator(device="cuda")
        later.manual_seed(seed)
        never = torch.Generator()
        images = [pipe(p, generator=g).images[0] for p in prompts]
        return images
"""


def test_generator_creation_sees_through_manual_seed_and_import_aliases():
    model = model_of(PIPELINE_HELPER)
    render = _function(model, "render")
    values = {stmt.body[0].targets[0].target.value: stmt.body[0].value
              for stmt in render.body.body[:2]}
    created = model.generator_creation(values["g"])
    assert model.code(created) == 'torch.Generator("cpu")'
    assert model.code(model.generator_creation(values["later"])) == 'torch.Generator(device="cuda")'
    assert model.generator_creation(cst.parse_expression("torch.randn(2)")) is None


def test_seeded_generator_names_are_the_locals_seeded_where_made_or_later():
    model = model_of(PIPELINE_HELPER)
    seeded = model.seeded_generator_names(_function(model, "render"))
    assert {name: on_cpu for name, (_, on_cpu) in seeded.items()} == {"g": True, "later": False}
    assert model.seeded_generator_names(_function(model, "render")) is seeded  # asked once per model


def test_class_generators_are_seeded_attributes_and_generator_parameters():
    model = model_of(PIPELINE_HELPER)
    held = model.class_generators(_class(model, "Refiner"))
    assert {attr: on_cpu for attr, (on_cpu, _, _) in held.items()} == {
        "cpu_generator": True, "gpu_generator": False, "passed": False}
    assert all(method.name.value == "__init__" for _, method, _ in held.values())


def test_generator_parameters_by_name_or_annotation():
    model = model_of("""
        import torch

        def draw(shape, noise_generator, rng: torch.Generator, other: "torch.Generator", seed=0):
            return torch.randn(shape)
    """)
    params = _function(model, "draw").params.params
    assert [model.is_generator_parameter(p) for p in params] == [False, True, True, True, False]


def test_name_lookup_gives_the_one_binding_in_the_readers_scope():
    model = model_of("""
        import torch

        STYLES = {"oil", "ink"}
        MODES = {"a"}
        MODES = MODES | {"b"}

        def render(pipe, text):
            styles = set(text.split(","))
            for style in styles:
                pipe(style, generator=torch.Generator().manual_seed(0))
            for style in STYLES:
                pass
            for mode in MODES:
                pass
    """)
    lookup = model.name_lookup
    assert lookup is model.name_lookup  # one per model
    reads = {}
    for loop in model.syntax.nodes(cst.For):
        reads[loop.iter.value] = loop.iter
    assert model.code(lookup.single_binding(reads["styles"])) == 'set(text.split(","))'
    assert model.code(lookup.single_binding(reads["STYLES"])) == '{"oil", "ink"}'
    assert lookup.single_binding(reads["MODES"]) is None  # bound twice
    assert lookup.without("styles").single_binding(reads["styles"]) is None
    assert lookup.rebinds("STYLES") and not lookup.rebinds("set")
