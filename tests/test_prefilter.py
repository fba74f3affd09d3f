"""The cheap first pass never drops a true finding: the whole corpus, prefilter on and off."""

from __future__ import annotations

import ast
import importlib
import inspect
import warnings
import os
import pathlib

import pytest

from reprolint.engine import Linter
from reprolint.prefilter import imports_any
from reprolint.rules import ALL_RULES
from reprolint.settings import Settings

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Shapes of import statement the text scan must recognise, and traps it must survive.
EDGE_CASES = {
    "try-colon": 'try: import diffusers\nexcept ImportError: pass\npipe = diffusers.DDPMPipeline.from_pretrained("m")\npipe()\n',
    "semicolon": 'import os; import torch, diffusers as d\np = d.DDPMPipeline.from_pretrained("m")\np()\n',
    "continuation": 'from \\\n    diffusers import DDPMPipeline\np = DDPMPipeline.from_pretrained("m")\np()\n',
    "cr-newlines": 'import os\rfrom diffusers import DDPMPipeline\rp = DDPMPipeline.from_pretrained("m")\rp()\r',
    "crlf": 'import torch\r\nfrom diffusers import DDPMPipeline\r\np = DDPMPipeline.from_pretrained("m")\r\np()\r\n',
    "nested": 'def f():\n    if True:\n        from diffusers.pipelines import DDPMPipeline as P\n        P.from_pretrained("m")()\n',
    "formfeed": '\x0cfrom\x0cdiffusers import DDPMPipeline\np = DDPMPipeline.from_pretrained("m")\np()\n',
    "import-as": 'import diffusers.pipelines as dp\np = dp.DDPMPipeline.from_pretrained("m")\np()\n',
    "relative-only": 'from .diffusers import DDPMPipeline\np = DDPMPipeline.from_pretrained("m")\np()\n',
    "docstring-only": '"""\n>>> from diffusers import DDPMPipeline\n"""\np = DDPMPipeline.from_pretrained("m")\np()\n',
    "torch-aliased": 'import torch as T\ng = T.Generator()\nx = T.randn(3, generator=g)\nl = [g] * 2\n',
    "torch-from": 'from torch import Generator as G, randn\ng = G()\nx = randn(3, generator=g)\n',
    "global-generator": 'from torch import manual_seed\nfrom diffusers import DDPMPipeline\nDDPMPipeline.from_pretrained("m")(generator=manual_seed(0))\n',
    "device-balanced": 'from transformers import AutoModel\nm = AutoModel.from_pretrained("x", device="balanced")\nm(3)\n',
    "seed-no-import": 'def f(seed):\n    return make(generator=seed)\n',
    # The stdlib-ast stage: values that reach generator= or a placement by a longer way.
    "int-through-names": 'value = 7\ngenerator = value\nrun(generator=generator)\n',
    "int-through-dict": 'options = {"g": 5}\nrun(generator=options["g"])\n',
    "int-through-attribute": ('class A:\n    def __init__(this):\n        this.gen = 3\n'
                              '    def f(self):\n        return run(generator=self.gen)\n'),
    "int-through-call": 'import torch\nrun(generator=torch.device(0))\n',
    "generator-alias": 'import torch\nmake = torch.Generator\ng = make()\nx = torch.randn(2, generator=g)\n',
    "fstring-device": 'import torch\nnet = torch.nn.Linear(2, 2).to(f"cuda:{0}")\nnet(1)\n',
    "loader-alias": ('from transformers import AutoModel\nload = AutoModel.from_pretrained\n'
                     'net = load("x", device_map="auto")\nnet(1)\n'),
    "isinstance-only": ('import torch\ndef f(generator=None):\n'
                        '    if isinstance(generator, (torch.Generator, list)):\n        return sample(generator=generator)\n'),
    "isinstance-with-call": 'import torch\nif isinstance(x, type(g := torch.Generator())):\n    y = torch.randn(1, generator=g)\n',
    # The sharper facts: a draw without generator= (RPL113, RPL111, RPL110), a set iterated
    # by way of copies and operators (RPL307), the global generator named in code (RPL104).
    "draw-aliased": ('import torch\nfrom torch import randn as noise\n'
                     'def add_noise(x, generator):\n    return x + noise(x.shape)\n'),
    "sample-bare": ('from diffusers import AutoencoderKL\nvae = AutoencoderKL()\n'
                    'latents = vae.encode(x).latent_dist.sample()\n'),
    "set-through-copies": ('import torch\nprompts = {"a cat", "a dog"}\nchosen = prompts\n'
                           'ordered = chosen - {"a dog"} | {"a fox"}\ng = torch.Generator().manual_seed(0)\n'
                           'for i, prompt in enumerate(ordered):\n    pipe(prompt, generator=g)\n'),
    "set-in-comprehension": ('import torch\nnames = set("a b".split())\ng = torch.Generator().manual_seed(0)\n'
                             'images = [pipe(n, generator=g) for n in list(names)]\n'),
    "annotation-only": ('import torch\nfrom typing import Optional\n'
                        'def f(generator: Optional[torch.Generator] = None, seed: int = 0):\n'
                        '    return sample(generator=generator)\n'),
}


def _code_strings(path: pathlib.Path) -> list:
    """Multi-line string constants of a test file that parse as Python: its code fixtures."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value:
            code = inspect.cleandoc(node.value) + "\n"
            try:
                with warnings.catch_warnings():  # fixtures may hold regexes with escapes
                    warnings.simplefilter("ignore")
                    ast.parse(code)
            except SyntaxError:
                continue
            found.append(code)
    return found


def _module_strings(value, found: list) -> None:
    """Fixtures built at import time (``PIPE + '...'``) live only in the module's globals."""
    if isinstance(value, str) and "\n" in value:
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _module_strings(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _module_strings(item, found)


def corpus() -> dict:
    sources = {}
    for rule in ALL_RULES:
        for kind in ("VALID", "INVALID"):
            for index, example in enumerate(getattr(rule, kind)):
                sources[f"{rule.code}-{kind}-{index}"] = example.code
    folders = [ROOT / "examples", ROOT / "tests" / "corpus"]
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                sources[str(path.relative_to(ROOT))] = path.read_text("utf-8")
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        sources[str(path.relative_to(ROOT))] = path.read_text("utf-8")
        for index, code in enumerate(_code_strings(path)):
            sources[f"{path.relative_to(ROOT)}#{index}"] = code
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found: list = []
        for name, value in vars(module).items():
            if name.isupper():
                _module_strings(value, found)
        for index, code in enumerate(found):
            sources[f"{module_name}:{index}"] = code
    sources.update({f"edge-{name}": code for name, code in EDGE_CASES.items()})
    return sources


def _findings(linter: Linter, code: str) -> list:
    # Findings only: a file the prefilter skips is never parsed, so its syntax errors go
    # unreported by design.
    report = linter.lint_source(code, "corpus.py")
    return [(f.code, f.start, f.end, f.message) for f in report.findings]


@pytest.fixture(scope="module")
def full_analysis():
    """Every corpus source analysed with every rule and no prefilter: the ground truth."""
    off = Linter(Settings(select=("ALL",)), prefilter=False)
    return {name: (code, _findings(off, code)) for name, code in corpus().items()}


def test_prefilter_on_and_off_give_identical_findings(full_analysis):
    assert len(full_analysis) > 100  # the corpus really was collected
    assert sum(bool(found) for _, found in full_analysis.values()) > 20
    on = Linter(Settings(select=("ALL",)))
    for name, (code, found) in full_analysis.items():
        assert _findings(on, code) == found, name


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_a_rule_alone_never_skips_a_file_it_reports_on(rule, full_analysis):
    # Rules report independently (each only asks the shared model), so a rule's findings with
    # only it selected are its share of the full run's; what the one-rule prefilter skips must
    # therefore hold none of them.
    alone = Linter(Settings(select=(rule.code,)))
    skipped = 0
    for name, (code, found) in full_analysis.items():
        if not alone.could_match(code):
            skipped += 1
            assert [f for f in found if f[0] == rule.code] == [], f"{rule.code} skips {name}"
    assert skipped > 0  # the prefilter really is exercised


def test_every_invalid_example_passes_its_rule_prefilter():
    for rule in ALL_RULES:
        if "python" not in rule.file_kinds:
            continue  # dependency files are never prefiltered: they are not Python
        linter = Linter(Settings(select=(rule.code,)))
        for example in rule.INVALID:
            assert linter.could_match(example.code), rule.code


@pytest.mark.parametrize("name", ["try-colon", "semicolon", "continuation", "cr-newlines", "crlf", "nested",
                                  "formfeed", "import-as", "global-generator"])
def test_import_scan_recognises_every_statement_shape(name):
    assert imports_any(EDGE_CASES[name], ("diffusers", "torch"))


def test_import_scan_skips_files_that_only_mention_a_package():
    source = '# uses diffusers\n"""from diffusers"""  \nx = "import diffusers"\n'
    assert not imports_any(source.replace("from diffusers", ">>> from diffusers").replace(
        '"import diffusers"', '"diffusers"'), ("diffusers",))
    assert not imports_any("import diffusers_extra\nfrom mydiffusers import x\n", ("diffusers",))
    assert imports_any("x = 1\nimport diffusers\n", ("diffusers",))


def test_the_ast_stage_skips_a_module_that_only_annotates_generators():
    for code in (EDGE_CASES["annotation-only"], EDGE_CASES["isinstance-only"]):
        for code_name in ("RPL103", "RPL105", "RPL107"):
            assert not Linter(Settings(select=(code_name,))).could_match(code), code_name
    assert Linter(Settings(select=("RPL103",))).could_match(EDGE_CASES["int-through-names"])


def test_a_pipeline_rule_skips_a_file_without_a_diffusers_import():
    code = "# a Pipeline, in a comment\nclass MyPipeline:\n    pass\n"
    assert not Linter(Settings(select=("RPL101",))).could_match(code)
    assert Linter(Settings(select=("RPL101",)), prefilter=False).could_match(code)
    assert os.path.isdir(ROOT / "examples")


def test_a_settings_dependent_check_follows_the_settings():
    code = "import torch\nfrom myproj.utils import make_det\nmake_det()\nnet = torch.compile(model)\n"
    with_helper = Settings(select=("RPL305",), determinism_helpers=("myproj.utils.make_det",))
    on, off = Linter(with_helper), Linter(with_helper, prefilter=False)
    assert on.could_match(code)
    assert _findings(on, code) == _findings(off, code) != []
    assert not Linter(Settings(select=("RPL305",))).could_match(code)


# What the stdlib-ast stage now rules out, each next to the near miss it must keep.
SHARPER_FACTS = [
    ("RPL113",
     'import torch\ndef prepare(shape, generator):\n    return torch.randn(shape, generator=generator)\n',
     EDGE_CASES["draw-aliased"]),
    ("RPL111",
     'latents = vae.encode(x).latent_dist.sample(generator)\n',
     'latents = vae.encode(x).latent_dist.sample()\n'),
    ("RPL110",
     'from diffusers import DDPMScheduler\ns = DDPMScheduler()\nx = s.step(e, t, x, generator=g).prev_sample\n',
     'from diffusers import DDPMScheduler\ns = DDPMScheduler()\nx = s.step(e, t, x).prev_sample\n'),
    ("RPL307",
     'import torch\nsteps = t - 1\ng = torch.Generator().manual_seed(0)\nfor p in steps:\n    pipe(p, generator=g)\n',
     EDGE_CASES["set-through-copies"]),
    ("RPL104",
     'import torch\n"""\n>>> pipe(generator=torch.manual_seed(0))\n"""\nx = torch.randn(2)\n',
     EDGE_CASES["global-generator"]),
]


@pytest.mark.parametrize("code_name, skipped, kept", SHARPER_FACTS, ids=[row[0] for row in SHARPER_FACTS])
def test_the_ast_stage_skips_what_the_rule_cannot_flag_and_keeps_what_it_can(code_name, skipped, kept):
    settings = Settings(select=(code_name,))
    assert not Linter(settings).could_match(skipped)
    assert Linter(settings).could_match(kept)
    assert [f for f in _findings(Linter(settings, prefilter=False), kept) if f[0] == code_name]


PROJECT = {
    "pkg/__init__.py": "",
    "pkg/pipes.py": ("from diffusers import DiffusionPipeline\n\n"
                     "class MyPipeline(DiffusionPipeline):\n    pass\n"),
    "app.py": ("from pkg.pipes import MyPipeline\n\n"
               "pipe = MyPipeline.from_pretrained('m')\nimage = pipe('a cat').images[0]\n"),
    "train.py": ("import torch\nfrom torch.utils.data import DataLoader\n\n"
                 "loader = DataLoader(data, shuffle=True, num_workers=4)\n"),
    "plain.py": "import os\n\nif __name__ == '__main__':\n    print(os.getcwd())\n",
}


def test_pass_one_verdicts_give_the_findings_the_prefilter_gives(tmp_path):
    # Pass 1 decides the prefilter from its own stdlib tree; a file naming the project's own
    # pipelines (app.py) is decided again, knowing them; a file edited after pass 1 too.
    for relative, text in PROJECT.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)

    def findings(prefilter: bool, edit_after_pass_one: bool = False):
        linter = Linter(Settings(select=("ALL",)), prefilter=prefilter)
        files = sorted(str(path) for path in tmp_path.rglob("*.py"))
        linter.project = linter.index_project(files, [str(tmp_path)])
        if edit_after_pass_one:
            (tmp_path / "plain.py").write_text("import torch\n\nif __name__ == '__main__':\n"
                                               "    torch.backends.cudnn.benchmark = True\n")
        run = linter.lint_paths([str(tmp_path)])
        return sorted((f.path.rsplit("/", 1)[-1], f.code, f.start.line) for r in run.files for f in r.findings)

    with_verdicts = findings(True)
    assert any(path == "app.py" and code == "RPL101" for path, code, _ in with_verdicts)
    assert any(path == "train.py" for path, _, _ in with_verdicts)
    assert with_verdicts == findings(False)
    edited = findings(True, edit_after_pass_one=True)
    assert ("plain.py", "RPL303", 4) in edited
    assert _has_pass_one_verdict(tmp_path)


def _has_pass_one_verdict(tmp_path) -> bool:
    linter = Linter(Settings(select=("ALL",)))
    linter.project = linter.index_project(sorted(str(p) for p in tmp_path.rglob("*.py")), [str(tmp_path)])
    return str(tmp_path / "plain.py") in linter.project.hints


# A diffusers library module: a logger named by `__name__`, a scheduler step, noise through
# randn_tensor(generator=...), "deterministic" in a config: none of RPL115, RPL301 and RPL309 can
# report there, and the cold run on diffusers' package sent it to the full parse for all three
# (cold run 7.4 -> 17.7 s before these checks).
LIBRARY_PIPELINE_MODULE = '''\
import torch
from ...schedulers import DDIMScheduler
from ...utils import logging
from ...utils.torch_utils import randn_tensor

logger = logging.get_logger(__name__)


class MyPipeline(DiffusionPipeline):
    def __call__(self, generator=None, deterministic=False):
        latents = randn_tensor((1, 4, 8, 8), generator=generator, device="cuda")
        for t in self.scheduler.timesteps:
            latents = self.scheduler.step(self.unet(latents, t).sample, t, latents).prev_sample
        return torch.nn.functional.interpolate(latents, scale_factor=2, mode="bilinear")
'''


@pytest.mark.parametrize("code", ["RPL115", "RPL301", "RPL309"])
def test_the_round_three_rules_skip_a_library_pipeline_module(code):
    from reprolint.prefilter import candidates, rules_allowed

    rules = Linter(Settings(select=(code,))).rules
    assert rules_allowed(candidates(rules, LIBRARY_PIPELINE_MODULE), LIBRARY_PIPELINE_MODULE) == []


def test_the_main_guard_fact_needs_the_comparison_not_the_name():
    from reprolint.prefilter import ModuleFacts

    assert not ModuleFacts.from_source("logger = get_logger(__name__)\n").main_guard
    assert ModuleFacts.from_source('if "__main__" == __name__:\n    main()\n').main_guard
    assert not ModuleFacts.from_source('def f():\n    if __name__ == "__main__":\n        pass\n').main_guard
