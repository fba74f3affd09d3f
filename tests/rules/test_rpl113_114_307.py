"""RPL113 seeded-generator-ignored, RPL114 generator-default-argument, RPL307 set-iteration-order:
realistic must-flag and must-not-flag code beyond each rule's own examples."""

import pytest

from reprolint.fix import fix_source
from reprolint.settings import Settings
from tests.conftest import lint


def lines(code: str, rule: str) -> list:
    return [f.start.line for f in lint(code, rule)]


# -- RPL113 ------------------------------------------------------------------------------------

RPL113_FLAG = {
    # diffusers-style pipeline method: the pipeline's generator goes to randn_tensor, the extra
    # noise does not.
    "pipeline-method-randn-like": ("""
        import torch
        from diffusers import DiffusionPipeline
        from diffusers.utils.torch_utils import randn_tensor

        class MyPipeline(DiffusionPipeline):
            def prepare_latents(self, shape, dtype, device, generator, latents=None):
                if latents is None:
                    latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
                noise = torch.randn_like(latents)
                return latents * self.scheduler.init_noise_sigma + 0.01 * noise
    """, [9]),
    "annotated-parameter": ("""
        from typing import Optional
        import torch

        def perturb(x, rng: Optional[torch.Generator] = None):
            mask = torch.rand(x.shape) > 0.5
            return x * mask
    """, [5]),
    "local-seeded-generator": ("""
        import torch

        def make_inputs(seed):
            generator = torch.Generator("cpu").manual_seed(seed)
            latents = torch.randn((1, 4, 64, 64), generator=generator)
            timesteps = torch.randint(0, 1000, (1,))
            return latents, timesteps
    """, [6]),
    "local-seeded-later": ("""
        import torch

        def make_inputs(seed):
            g = torch.Generator()
            g.manual_seed(seed)
            return torch.randn(3), torch.randn(3, generator=g)
    """, [6]),
    "attribute-set-from-parameter": ("""
        import torch

        class Augment:
            def __init__(self, generator=None):
                self.generator = generator

            def __call__(self, x):
                return x.clone().normal_(0, 0.1) + x
    """, [8]),
    "nested-function": ("""
        import torch

        def sample(shape, generator):
            def noise():
                return torch.randn(shape)
            return noise() + torch.randn(shape, generator=generator)
    """, [5]),
    "draw-in-init-after-the-attribute": ("""
        import torch

        class Model:
            def __init__(self, seed):
                self.generator = torch.Generator().manual_seed(seed)
                self.weight = torch.randn(4, 4)
    """, [6]),
    "randn-tensor-positional-none": ("""
        from diffusers.utils.torch_utils import randn_tensor

        def make(shape, generator):
            return randn_tensor(shape)
    """, [4]),
}

RPL113_CLEAN = {
    "generator-passed-everywhere": """
        import torch

        def make(shape, generator):
            return torch.randn(shape, generator=generator) + torch.rand(shape, generator=generator)
    """,
    "randn-tensor-positional-generator": """
        from diffusers.utils.torch_utils import randn_tensor

        def make(shape, generator, device):
            return randn_tensor(shape, generator, device)
    """,
    "none-branch-of-if-else": """
        import torch

        def noise(shape, generator=None):
            if generator is not None:
                return torch.randn(shape, generator=generator)
            else:
                return torch.randn(shape)
    """,
    "conditional-expression": """
        import torch

        def noise(shape, generator=None):
            return torch.randn(shape) if generator is None else torch.randn(shape, generator=generator)
    """,
    # diffusers' autoencoder_rfd4_proteina.py: a list derived from the parameter is tested instead.
    "derived-generators-none": """
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        def forward(x, generator=None):
            generators = None if generator is None else [generator]
            return (
                torch.randn_like(x)
                if generators is None
                else randn_tensor(x.shape, generator=generators, device=x.device, dtype=x.dtype)
            )
    """,
    "not-generator": """
        import torch

        def noise(shape, generator=None):
            if not generator:
                return torch.randn(shape)
            return torch.randn(shape, generator=generator)
    """,
    "kwargs-may-carry-it": """
        import torch

        def noise(shape, generator, **kwargs):
            return torch.randn(shape, **kwargs)
    """,
    "no-generator-held": """
        import torch

        class Dropout:
            def __call__(self, x):
                return x * (torch.rand(x.shape) > 0.1)
    """,
    "other-class-holds-one": """
        import torch

        class Holder:
            def __init__(self):
                self.generator = torch.Generator().manual_seed(0)

        class Other:
            def draw(self):
                return torch.randn(3)
    """,
    "draw-in-init-before-the-attribute": """
        import torch

        class Model:
            def __init__(self, seed):
                self.weight = torch.randn(4, 4)
                self.generator = torch.Generator().manual_seed(seed)
    """,
    "static-method": """
        import torch

        class Holder:
            def __init__(self):
                self.generator = torch.Generator().manual_seed(0)

            @staticmethod
            def noise(shape):
                return torch.randn(shape)
    """,
    "unseeded-local-generator": """
        import torch

        def f():
            g = torch.Generator()
            return torch.randn(3), torch.randn(3, generator=g)
    """,
    "tensor-method-without-torch-import": """
        def perturb(x, generator):
            return x.normal_()
    """,
    "draw-before-local-generator": """
        import torch

        def f(seed):
            warmup = torch.randn(3)
            g = torch.Generator().manual_seed(seed)
            return warmup, torch.randn(3, generator=g)
    """,
}


@pytest.mark.parametrize("name", RPL113_FLAG)
def test_rpl113_flags(name):
    code, expected = RPL113_FLAG[name]
    assert lines(code, "RPL113") == expected


@pytest.mark.parametrize("name", RPL113_CLEAN)
def test_rpl113_stays_silent(name):
    assert lines(RPL113_CLEAN[name], "RPL113") == []


def test_rpl113_message_names_the_generator_to_pass():
    findings = lint(RPL113_FLAG["attribute-set-from-parameter"][0], "RPL113")
    assert "pass `generator=self.generator`" in findings[0].message


@pytest.mark.parametrize("name", ["pipeline-method-randn-like", "annotated-parameter", "attribute-set-from-parameter"])
def test_rpl113_offers_no_fix_where_passing_the_generator_could_fail(name):
    # A parameter may be a list of generators or live on a GPU: torch.randn(..., generator=...)
    # would then raise, so only randn_tensor and known CPU generators are rewritten.
    assert all(f.fix is None for f in lint(RPL113_FLAG[name][0], "RPL113"))


def test_rpl113_fix_on_a_device_draw_is_not_offered():
    code = """
        import torch

        def f(seed):
            g = torch.Generator().manual_seed(seed)
            return torch.randn(3, device="cuda"), torch.randn(3, generator=g)
    """
    findings = lint(code, "RPL113")
    assert [f.start.line for f in findings] == [5] and findings[0].fix is None


# -- RPL114 ------------------------------------------------------------------------------------

RPL114_FLAG = {
    "unseeded": ("import torch\ndef f(x, generator=torch.Generator()):\n    return x\n", [2]),
    "aliased-import": ("import torch as T\ndef f(g=T.Generator('cpu').manual_seed(1)):\n    return g\n", [2]),
    "lambda": ("import torch\nnoise = lambda n, g=torch.Generator().manual_seed(0): torch.randn(n, generator=g)\n", [2]),
    "async-method": (
        "import torch\nclass A:\n    async def run(self, *, generator=torch.Generator().manual_seed(0)):\n"
        "        return generator\n", [3]),
    "two-parameters": (
        "import torch\ndef f(a=torch.Generator(), b=torch.Generator().manual_seed(2)):\n    return a, b\n", [2, 2]),
}
RPL114_CLEAN = {
    "none-default": "import torch\ndef f(generator=None):\n    return generator or torch.Generator()\n",
    "generator-in-body": "import torch\ndef f():\n    g = torch.Generator()\n    return g\n",
    "global-seed-call": "import torch\ndef f(g=torch.manual_seed(0)):\n    return g\n",  # RPL104's business
    "unresolved-generator": "def f(g=Generator()):\n    return g\n",
    "keyword-in-call": "import torch\nx = torch.randn(3, generator=torch.Generator().manual_seed(0))\n",
}


@pytest.mark.parametrize("name", RPL114_FLAG)
def test_rpl114_flags(name):
    code, expected = RPL114_FLAG[name]
    assert lines(code, "RPL114") == expected


@pytest.mark.parametrize("name", RPL114_CLEAN)
def test_rpl114_stays_silent(name):
    assert lines(RPL114_CLEAN[name], "RPL114") == []


def _fix(code: str, rule: str, unsafe: bool = False):
    return fix_source(code, "example.py", Settings(select=(rule,)), unsafe=unsafe)


@pytest.mark.parametrize("code", [
    # the default reads a name: evaluated at call time it could differ
    "import torch\nSEED = 0\ndef f(g=torch.Generator().manual_seed(SEED)):\n    return g\n",
    # the function rebinds the name the default reads
    "import torch\ndef f(g=torch.Generator()):\n    torch = None\n    return g\n",
    # a lambda has no body to create it in
    "import torch\nf = lambda g=torch.Generator(): g\n",
    # the module imports torch only inside a function
    "def setup():\n    import torch\n    def f(g=torch.Generator()):\n        return g\n    return f\n",
])
def test_rpl114_fix_is_withheld_where_it_would_not_be_exact(code):
    assert all(f.fix is None for f in lint(code, "RPL114"))
    assert _fix(code, "RPL114", unsafe=True).source == code


def test_rpl114_fix_is_unsafe_when_a_call_in_the_module_may_pass_none():
    code = ("import torch\ndef draw(n, generator=torch.Generator().manual_seed(0)):\n"
            "    return torch.randn(n, generator=generator)\n"
            "def sample(n, generator=None):\n    return draw(n, generator)\n")
    assert _fix(code, "RPL114").source == code  # not applied as a safe fix
    assert "if generator is None:" in _fix(code, "RPL114", unsafe=True).source


@pytest.mark.parametrize("call", ["Sampler((2,), None)", "Sampler((2,), generator=None)", "s(generator=g)"])
def test_rpl114_fix_is_unsafe_when_a_constructor_or_instance_call_may_pass_none(call):
    code = ("import torch\nclass Sampler:\n"
            "    def __init__(self, shape, generator=torch.Generator().manual_seed(0)):\n"
            "        self.generator = generator\n"
            "    def __call__(self, generator=torch.Generator().manual_seed(1)):\n"
            "        return generator\n"
            f"s = Sampler((2,))\nout = {call}\n")
    fixes = {f.start.line: f.fix.applicability.value for f in lint(code, "RPL114")}
    expected = {"Sampler((2,), None)": {3: "unsafe", 5: "safe"},
                # an instance call cannot be told from any other call: every `generator=None` counts
                "Sampler((2,), generator=None)": {3: "unsafe", 5: "unsafe"},
                "s(generator=g)": {3: "safe", 5: "unsafe"}}
    assert fixes == expected[call]


def test_rpl114_fix_stays_safe_when_calls_pass_generators():
    code = ("import torch\ndef draw(n, generator=torch.Generator().manual_seed(0)):\n"
            "    return torch.randn(n, generator=generator)\n"
            "a = draw(3)\nb = draw(3, generator=torch.Generator().manual_seed(1))\n")
    fixed = _fix(code, "RPL114").source
    assert "def draw(n, generator=None):\n    if generator is None:\n" in fixed


def test_rpl114_fix_keeps_the_docstring_first():
    code = 'import torch\ndef f(g=torch.Generator()):\n    """Doc."""\n    return g\n'
    fixed = _fix(code, "RPL114").source
    assert fixed == ('import torch\ndef f(g=None):\n    """Doc."""\n    if g is None:\n'
                     '        g = torch.Generator()\n    return g\n')


# -- RPL307 ------------------------------------------------------------------------------------

GEN = 'import torch\ngenerator = torch.Generator("cpu").manual_seed(0)\n'

RPL307_FLAG = {
    "set-literal": (GEN + 'for p in {"a", "b"}:\n    pipe(p, generator=generator)\n', [3]),
    "set-comprehension": (GEN + 'for p in {q.strip() for q in raw}:\n    pipe(p, generator=generator)\n', [3]),
    "set-of-list-literal": (GEN + 'for p in set(["a", "b"]):\n    pipe(p, generator=generator)\n', [3]),
    "frozenset-split": (GEN + 'for p in frozenset(text.split(",")):\n    pipe(p, generator=generator)\n', [3]),
    "set-union": (GEN + 'extra = {"c"}\nfor p in {"a"} | extra:\n    pipe(p, generator=generator)\n', [4]),
    "name-bound-once": (GEN + 'ps = {"a", "b"}\nfor p in ps:\n    pipe(p, generator=generator)\n', [4]),
    "list-of-set": (GEN + 'for p in list({"a", "b"}):\n    pipe(p, generator=generator)\n', [3]),
    "seeds-from-index": ('import torch\nfor i, p in enumerate({"a", "b"}):\n    torch.manual_seed(i)\n    run(p)\n', [2]),
    "module-name-in-function": (
        'import torch\nPROMPTS = {"a", "b"}\ndef render(pipe):\n    g = torch.Generator().manual_seed(0)\n'
        '    return [pipe(p, generator=g) for p in PROMPTS]\n', [5]),
}
RPL307_CLEAN = {
    "sorted": GEN + 'for p in sorted({"a", "b"}):\n    pipe(p, generator=generator)\n',
    "list": GEN + 'for p in ["a", "b"]:\n    pipe(p, generator=generator)\n',
    "ints": GEN + 'for steps in {10, 20}:\n    pipe("a", num_inference_steps=steps, generator=generator)\n',
    "no-generation": 'for p in {"a", "b"}:\n    print(p)\n',
    "unknown-elements": GEN + 'for p in set(args.prompts):\n    pipe(p, generator=generator)\n',
    "name-rebound": GEN + 'ps = {"a"}\nps = sorted(ps)\nfor p in ps:\n    pipe(p, generator=generator)\n',
    "name-grown": GEN + 'ps = {"a"}\nps.add(x)\nfor p in ps:\n    pipe(p, generator=generator)\n',
    "set-rebound": GEN + 'set = list\nfor p in set(["a", "b"]):\n    pipe(p, generator=generator)\n',
    "difference-with-unknown-left": GEN + 'for p in names - {"a"}:\n    pipe(p, generator=generator)\n',
}


@pytest.mark.parametrize("name", RPL307_FLAG)
def test_rpl307_flags(name):
    code, expected = RPL307_FLAG[name]
    assert lines(code, "RPL307") == expected


@pytest.mark.parametrize("name", RPL307_CLEAN)
def test_rpl307_stays_silent(name):
    assert lines(RPL307_CLEAN[name], "RPL307") == []


def test_rpl307_fix_sorts_the_set_and_the_order_no_longer_follows_the_hash_seed():
    import os
    import subprocess
    import sys

    code = ('images = []\nfor prompt in {"a cat", "a dog", "a fox", "an owl", "a bee", "a yak"}:\n'
            '    images.append(prompt)  # generator=generator\n    g = make().manual_seed(0)\nprint(images)\n')
    fixed = _fix(code, "RPL307", unsafe=True).source
    assert 'for prompt in sorted({"a cat"' in fixed

    def order(source, hash_seed):
        env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
        runnable = source.replace("    g = make().manual_seed(0)\n", "")
        return subprocess.run([sys.executable, "-c", runnable], env=env, capture_output=True, text=True).stdout

    assert len({order(code, seed) for seed in range(6)}) > 1  # the bug is real
    assert len({order(fixed, seed) for seed in range(6)}) == 1
