"""reprolint's own import graph follows its layers: no cycle, no import that runs back up.

Every ``import`` and ``from ... import`` counts, at module level and inside functions alike (a
function-local import is still a dependency; it only moves the cost). The layers, lowest first,
are written once, here; ``docs/contributing.md`` draws them.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "reprolint"

# Lowest first. A module may import modules of its own layer or of layers below it; a package
# name stands for every module under it.
LAYERS = (
    ("values", ("reprolint", "reprolint.findings", "reprolint.settings", "reprolint.data")),
    ("input", ("reprolint.sources", "reprolint.noqa", "reprolint.cache")),
    ("semantic", ("reprolint.semantic", "reprolint.prefilter")),
    ("rules", ("reprolint.rules",)),
    ("catalogue", ("reprolint.registry", "reprolint.docs", "reprolint.config", "reprolint.discovery")),
    ("file loop", ("reprolint.parallel",)),
    ("engine", ("reprolint.engine",)),
    ("fix and reporters", ("reprolint.fix", "reprolint.reporters")),
    ("verify", ("reprolint.verify",)),
    ("command line", ("reprolint.cli_options", "reprolint.cli", "reprolint.__main__", "reprolint.server")),
)

# Cycles inside a package that another change is taking apart; each entry must name who.
PENDING_CYCLES: tuple = ()


def module_names() -> dict:
    """Dotted module name -> its file, for every module of the package."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(name: str, modules: dict):
    """The module an import of ``name`` loads: ``name`` itself, or the package it names a
    member of (``from reprolint.rules import Rule``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: pathlib.Path, modules: dict) -> set:
    """The reprolint modules ``module`` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target, modules) if target.startswith("reprolint") else None
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


def import_graph() -> dict:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def layer_of(module: str):
    """(index, layer name) of the most specific entry of LAYERS naming ``module``."""
    best = None
    for index, (layer, members) in enumerate(LAYERS):
        for member in members:
            if module == member or module.startswith(member + "."):
                if best is None or len(member) > best[2]:
                    best = (index, layer, len(member))
    return None if best is None else best[:2]


def cycles(graph: dict) -> list:
    """Each strongly connected component of more than one module (Tarjan's algorithm)."""
    index_of, low, on_stack, stack, components = {}, {}, set(), [], []

    def visit(node):
        index_of[node] = low[node] = len(index_of)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index_of:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index_of[target])
        if low[node] == index_of[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index_of:
            visit(node)
    return components


def test_every_module_has_a_layer():
    unplaced = [name for name in module_names() if layer_of(name) is None]
    assert not unplaced, f"add these modules to LAYERS in {__file__}: {unplaced}"


def test_import_graph_has_no_cycle():
    found = [cycle for cycle in cycles(import_graph()) if set(cycle) not in PENDING_CYCLES]
    assert found == []


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for source, targets in sorted(import_graph().items()):
        source_layer = layer_of(source)
        for target in sorted(targets):
            target_layer = layer_of(target)
            if source_layer and target_layer and target_layer[0] > source_layer[0]:
                upward.append(f"{source} ({source_layer[1]}) imports {target} ({target_layer[1]})")
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("code,expected", [
    ("import reprolint.engine\n", {"reprolint.engine"}),
    ("from reprolint.rules import Rule\n", {"reprolint.rules"}),
    ("from reprolint.rules import base\n", {"reprolint.rules.base"}),
    ("def f():\n    from reprolint import cli\n", {"reprolint.cli"}),
    ("from . import engine\n", {"reprolint.engine"}),
    ("import os\nfrom click import echo\n", set()),
])
def test_the_graph_sees_every_form_of_import(tmp_path, code, expected):
    path = tmp_path / "probe.py"
    path.write_text(code)
    modules = {**module_names(), "reprolint.probe": path}
    assert imports_of("reprolint.probe", path, modules) == expected


def test_a_cycle_and_an_upward_edge_are_caught():
    graph = {"reprolint.engine": {"reprolint.parallel"}, "reprolint.parallel": {"reprolint.engine"},
             "reprolint.sources": {"reprolint.cli"}}
    assert cycles(graph) == [["reprolint.engine", "reprolint.parallel"]]
    assert layer_of("reprolint.cli")[0] > layer_of("reprolint.sources")[0]


CONTRIBUTING = PACKAGE.parent / "docs" / "contributing.md"


def test_contributing_draws_every_layer_in_order():
    picture = CONTRIBUTING.read_text(encoding="utf-8").split("```")[1]
    positions = [picture.find(f"\n {layer} ") for layer, _ in LAYERS]
    assert all(p >= 0 for p in positions), [layer for (layer, _), p in zip(LAYERS, positions) if p < 0]
    assert positions == sorted(positions, reverse=True)  # drawn top down, highest first


def test_adding_a_rule_is_adding_its_module(tmp_path):
    # docs/contributing.md's steps, on a copy of the package: the template module alone makes a
    # rule that is registered, documented and run.
    import os
    import re
    import shutil
    import subprocess
    import sys

    template = re.search(r"<!-- rule-template -->\n```python\n(.*?)^```$", CONTRIBUTING.read_text(encoding="utf-8"),
                         re.S | re.M).group(1)
    shutil.copytree(PACKAGE, tmp_path / "reprolint", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "reprolint" / "rules" / "rpl199_torch_seed_call.py").write_text(template)
    (tmp_path / "job.py").write_text("import torch\n\ntorch.manual_seed(0)\nx = torch.randn(2)\ntorch.seed()\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NO_COLOR": "1"}

    def reprolint(*args):
        return subprocess.run([sys.executable, "-m", "reprolint", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import reprolint; print(reprolint.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(tmp_path / "reprolint" / "__init__.py")
    listing = reprolint("rule", "--all")
    assert "RPL199  on   fix:none    torch-seed-call:" in listing.stdout, listing.stderr
    page = reprolint("rule", "torch-seed-call").stdout
    assert page.startswith("# RPL199: torch-seed-call\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety",
                    "## Evidence"):
        assert section in page
    run = reprolint("job.py", "--select", "RPL199", "--no-cache", "--isolated", "--output-format", "concise")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("job.py:5:1: RPL199 torch.seed() picks a different seed on every run")
    examples = subprocess.run(
        [sys.executable, "-c",
         "from reprolint.engine import Linter\n"
         "from reprolint.rules import RULES_BY_CODE\n"
         "from reprolint.settings import Settings\n"
         "rule = RULES_BY_CODE['RPL199']\n"
         "lint = lambda code: Linter(Settings(select=('RPL199',))).lint_source(code, 'x.py').findings\n"
         "assert all(lint(e.code) == [] for e in rule.VALID)\n"
         "assert all([(f.start.line, f.start.column) for f in lint(e.code)] == e.expect for e in rule.INVALID)\n"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert examples.returncode == 0, examples.stderr


# ---------------------------------------------------------------------- the semantic layer's shape

SEMANTIC = PACKAGE / "semantic"
MAX_SEMANTIC_FILE_LINES = 700
MAX_SEMANTIC_FUNCTION_LINES = 80


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def long_functions(source: str, limit: int) -> list:
    """(name, line, length) of every function of ``source`` longer than ``limit`` lines."""
    return [(f.name, f.lineno, f.end_lineno - f.lineno + 1) for f in _functions(ast.parse(source))
            if f.end_lineno - f.lineno + 1 > limit]


def test_no_semantic_file_is_over_700_lines():
    long = [f"{path.relative_to(PACKAGE.parent)}: {n} lines" for path in sorted(SEMANTIC.rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_SEMANTIC_FILE_LINES]
    assert not long, long


def test_no_semantic_function_is_over_80_lines():
    long = [f"{path.relative_to(PACKAGE.parent)}:{line} {name}() is {length} lines"
            for path in sorted(SEMANTIC.rglob("*.py"))
            for name, line, length in long_functions(path.read_text(encoding="utf-8"), MAX_SEMANTIC_FUNCTION_LINES)]
    assert not long, long


def test_the_length_check_sees_a_long_function():
    source = "def long():\n" + "    x = 1\n" * 80 + "\n\ndef short():\n    return 1\n"
    assert long_functions(source, MAX_SEMANTIC_FUNCTION_LINES) == [("long", 1, 81)]


def _rule_modules() -> dict:
    return {name: path for name, path in module_names().items()
            if name.startswith("reprolint.rules.rpl") and name.count(".") == 2}


def test_no_rule_module_imports_another_rule_module():
    rules = _rule_modules()
    graph = import_graph()
    crossing = [f"{name} imports {target}"
                for name in sorted(rules) for target in sorted(graph[name]) if target in rules]
    assert not crossing, crossing


# What resolving a name reads: the nodes that bind one. A rule that tests for them is walking
# scopes for bindings itself; that belongs in reprolint.semantic (bindings, held_generators).
BINDING_NODES = frozenset({"Assign", "AnnAssign", "AugAssign", "AssignTarget", "NamedExpr", "CompFor",
                           "ImportAlias", "AsName", "Global", "Nonlocal"})


def name_resolution_in(source: str) -> list:
    """Where a module tests nodes for being bindings (``isinstance(node, cst.Assign)``), and the
    classes it defines that are neither a Rule nor plain data: what a rule module must not hold."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" and \
                len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            tested = {kind.attr for kind in kinds if isinstance(kind, ast.Attribute)}
            if tested & BINDING_NODES:
                found.append(f"line {node.lineno}: isinstance(..., {', '.join(sorted(tested & BINDING_NODES))})")
        if isinstance(node, ast.ClassDef):
            bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", "") for base in node.bases}
            decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            if not (bases & {"Rule", "NamedTuple"} or decorators & {"dataclass", "dataclasses.dataclass"}):
                found.append(f"line {node.lineno}: class {node.name}")
    return found


def test_no_rule_defines_its_own_name_resolution():
    found = {name: where for name, path in sorted(_rule_modules().items())
             if (where := name_resolution_in(path.read_text(encoding="utf-8")))}
    assert not found, found


def test_the_name_resolution_check_sees_a_scope_walk():
    # The shape RPL307 had before the lookup moved into reprolint.semantic.bindings.
    old = (
        "import libcst as cst\n"
        "class NameLookup:\n"
        "    def bindings(self, scope):\n"
        "        for node in scope.body:\n"
        "            if isinstance(node, (cst.Assign, cst.For)):\n"
        "                yield node\n"
    )
    assert name_resolution_in(old) == ["line 2: class NameLookup", "line 5: isinstance(..., Assign)"]
    data = "from dataclasses import dataclass\n@dataclass(frozen=True)\nclass Held:\n    x: int\n"
    assert name_resolution_in(data) == []


def _catalogued_names() -> set:
    from reprolint.semantic import catalog

    names = set()
    for value in vars(catalog).values():
        if isinstance(value, frozenset):
            names |= {item for item in value if isinstance(item, str) and "." in item}
    return names


def test_every_family_answers_for_catalogued_names():
    from reprolint.semantic import families

    assert {module.__name__.rsplit(".", 1)[-1] for module in families.FAMILIES} >= {
        "generators", "pipelines", "schedulers", "placement", "environment", "distributions", "tensors",
        "project_calls"}
    catalogued = _catalogued_names()
    for module in families.FAMILIES:
        stray = set(getattr(module, "NAMES", {})) - catalogued
        stray |= set(getattr(module, "REFERENCES", {})) - catalogued
        assert not stray, f"{module.__name__} answers for names reprolint.semantic.catalog does not list: {stray}"


def _sample_call_names() -> set:
    """Catalogued names, every pipeline and scheduler class reprolint's tables know, their
    constructors, and names both patterns match (``AutoPipelineFor...Scheduler``)."""
    import json
    from importlib import resources

    data = resources.files("reprolint.data")
    pipelines = json.loads(data.joinpath("pipelines.json").read_text("utf-8"))["non_sampling"]
    schedulers = json.loads(data.joinpath("schedulers.json").read_text("utf-8"))
    classes = [f"diffusers.{name}" for name in [*pipelines, *schedulers["stochastic_step"], *schedulers["global_rng"],
                                                *schedulers["deterministic_step"], "StableDiffusionPipeline",
                                                "AutoPipelineForText2Image", "AutoPipelineForOddScheduler"]]
    methods = ("from_pretrained", "from_single_file", "from_pipe", "from_config", "to")
    return _catalogued_names() | set(classes) | {f"{name}.{method}" for name in classes for method in methods}


def test_every_call_name_has_at_most_one_family():
    from reprolint.semantic import families

    for name in sorted(_sample_call_names()):
        owners = [claim.__module__ for claim in families.CLAIMS if claim(name) is not None]
        if name in families.BY_NAME:
            owners.append(families.BY_NAME[name].__module__)
        assert len(owners) <= 1, f"{name} is claimed by {owners}"


def test_call_dispatch_is_a_table():
    from reprolint.semantic import families
    from reprolint.semantic.families import generators, pipelines, project_calls, schedulers, tensors
    from reprolint.semantic.values import Generator, GeneratorObject, LocalFunction, Pipeline, QualifiedRef

    # The engine's call step names no library and compares nothing: it looks tables up.
    source = (SEMANTIC / "flow" / "calls.py").read_text(encoding="utf-8")
    result = next(f for f in _functions(ast.parse(source)) if f.name == "_call_result")
    assert "catalog" not in ast.unparse(result)
    assert not any(isinstance(node, ast.Compare) and not isinstance(node.ops[0], (ast.Is, ast.IsNot))
                   for node in ast.walk(result))
    # Each kind of lookup reaches the family that owns the call.
    assert families.name_handler("torch.Generator") is generators.created_generator
    assert families.name_handler("torch.randn") is tensors.drawn
    assert families.name_handler("diffusers.StableDiffusionPipeline.from_pretrained") is pipelines.loaded_pipeline
    assert families.name_handler("diffusers.DDIMScheduler.from_config") is schedulers.made_scheduler
    assert families.name_handler("mylib.helpers.load") is None
    generator = Generator(GeneratorObject(None, None, "g"))
    assert families.method_handler(generator, "manual_seed") is generators.manual_seed
    assert families.method_handler(Pipeline(None), "manual_seed") is None
    assert families.callee_handler(Pipeline(None)) is pipelines.pipeline_call
    assert families.callee_handler(QualifiedRef("mylib.helpers.load")) is project_calls.made_by_project
    assert families.callee_handler(LocalFunction("load")) is project_calls.made_by_project


def test_two_families_claiming_one_name_is_an_error():
    import types

    from reprolint.semantic import families

    first, second = types.ModuleType("first"), types.ModuleType("second")
    first.NAMES = {"torch.randn": lambda flow, site: None}
    second.NAMES = {"torch.randn": lambda flow, site: None}
    with pytest.raises(TypeError, match="both claim 'torch.randn'"):
        families._merged((first, second), "NAMES")


def test_adding_a_library_is_adding_its_family_module(tmp_path):
    # docs/contributing.md's family template, added to a copy of the package, makes a draw of the
    # new library an unseeded random tensor that RPL109 follows into a pipeline's latents.
    import os
    import re
    import shutil
    import subprocess
    import sys

    template = re.search(r"<!-- family-template -->\n```python\n(.*?)^```$", CONTRIBUTING.read_text(encoding="utf-8"),
                         re.S | re.M).group(1)
    shutil.copytree(PACKAGE, tmp_path / "reprolint", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "job.py").write_text(
        "import torch\n"
        "from diffusers import StableDiffusionPipeline\n"
        "from mylib.noise import gaussian\n"
        "\n"
        "pipe = StableDiffusionPipeline.from_pretrained('runwayml/stable-diffusion-v1-5')\n"
        "latents = gaussian((1, 4, 64, 64))\n"
        "image = pipe('a cat', latents=latents, generator=torch.Generator().manual_seed(0)).images[0]\n")
    arguments = ["job.py", "--select", "RPL109", "--no-cache", "--isolated", "--output-format", "concise"]

    def reprolint():
        env = {**os.environ, "PYTHONPATH": str(tmp_path), "NO_COLOR": "1"}
        return subprocess.run([sys.executable, "-m", "reprolint", *arguments], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    without = reprolint()  # the copy as it is: mylib's noise is an unknown call
    assert without.returncode == 0, without.stdout + without.stderr
    (tmp_path / "reprolint" / "semantic" / "families" / "mylib_noise.py").write_text(template)
    run = reprolint()
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.startswith("job.py:7:31: RPL109 the latents drawn on line 6 (`gaussian((1, 4, 64, 64))`)"), \
        run.stdout
