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
