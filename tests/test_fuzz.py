"""Property tests: the linter never raises, never hits an internal error and always finishes,
on generated programs (hypothesmith), on mutations of real code (the rule corpus, examples/ and
every rule's VALID/INVALID examples), on arbitrary bytes and on arbitrary notebook JSON.

Bounded for CI by the ``ci`` profile registered in tests/conftest.py (a fixed example count and a
per-example deadline); ``python -m pytest tests/test_fuzz.py --hypothesis-profile=long`` runs
many more examples locally (docs/contributing.md: Running the tests).
"""

from __future__ import annotations

import ast
import json
import pathlib

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprolint.engine import INTERNAL_ERROR, Linter
from reprolint.rules import ALL_RULES
from reprolint.settings import Settings

# hypothesmith compiles what it generates; Python's warnings about that code are noise here.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")
ROOT = pathlib.Path(__file__).resolve().parent.parent
LINTER = Linter(Settings(select=("ALL",)))
# Generated programs rarely name torch or diffusers; a header that does makes every rule's
# trigger match, so generated code goes through libcst, the analyzer and every rule.
HEADER = "import torch\nimport diffusers\nfrom diffusers import DiffusionPipeline\n"
GENERATED = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.filter_too_much])
# libcst-node programs cost ~0.3 s each to generate: a quarter of the profile's count.
FROM_NODES = settings(GENERATED, max_examples=max(10, settings.default.max_examples // 4))


def corpus_sources() -> list:
    """Real code to mutate: the precision corpus (when present), examples/, rule examples."""
    files = sorted((ROOT / "tests" / "corpus").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
    sources = [path.read_text(encoding="utf-8") for path in files]
    for rule in ALL_RULES:
        sources += [example.code for example in [*rule.VALID, *rule.INVALID]]
    return sources


CORPUS = corpus_sources()

# Fragments the semantic model has opinions about, spliced in at random places.
FRAGMENTS = [
    "g = torch.Generator()", "g = torch.Generator(device='cuda').manual_seed(0)", "generator=g",
    "generator=[g, g]", "gens = [torch.Generator()] * 2", "pipe = DiffusionPipeline.from_pretrained('x')",
    "pipe('a cat', generator=g)", "pipe(prompt)", "torch.manual_seed(0)", "global g", "nonlocal g",
    "del g", "g, h = h, g", "(g := torch.Generator())", "lambda: g", "for g in gens:", "while True:",
    "if g:", "else:", "try:", "except Exception:", "finally:", "with torch.no_grad():", "def f(g=None):",
    "async def f():", "await pipe()", "yield g", "return g", "class C:", "@torch.no_grad()",
    "match g:\n    case _:", "torch.use_deterministic_algorithms(True)", "import torch as t",
    "from torch import Generator as G", "*args", "**kwargs", "self.g = g", "pass", "...",
    "(", ")", "[", "]", ":", ",", "=", "\\", "'", '"""', "#", "# noqa", "# noqa: RPL101", "    ", "\t",
    "\n", "\r\n", "\x0c", "\ufeff", "é",
]


@st.composite
def mutated_corpus(draw) -> str:
    """A corpus file with a few lines deleted, duplicated, re-indented, swapped, spliced from
    another file, or with a fragment inserted at a random character."""
    lines = draw(st.sampled_from(CORPUS)).splitlines(keepends=True) or ["\n"]
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "swap", "splice",
                                          "insert", "truncate"]))
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        if not lines:
            lines = ["\n"]
        if operation == "delete" and len(lines) > 1:
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "indent":
            lines[index] = "    " + lines[index]
        elif operation == "dedent":
            lines[index] = lines[index].lstrip(" ")
        elif operation == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif operation == "splice":
            donor = draw(st.sampled_from(CORPUS)).splitlines(keepends=True) or ["\n"]
            start = draw(st.integers(0, len(donor) - 1))
            lines[index:index] = donor[start:start + draw(st.integers(1, 8))]
        elif operation == "insert":
            line = lines[index]
            column = draw(st.integers(0, len(line)))
            lines[index] = line[:column] + draw(st.sampled_from(FRAGMENTS)) + line[column:]
        elif operation == "truncate":
            del lines[index + 1:]
    return "".join(lines)


def assert_lints_cleanly(source: str, path: str = "fuzzed.py") -> None:
    report = LINTER.lint_source(source, path)
    internal = [e for e in report.errors if e.message.startswith(INTERNAL_ERROR)]
    assert not internal, internal[0].detail
    for error in report.errors:
        assert error.path == path and error.message
    if not report.errors:
        # Whatever the analyzer and rules say must point inside the file.
        line_count = max(1, len(source.splitlines()))
        for finding in report.findings:
            assert 1 <= finding.start.line <= line_count + 1, finding


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def test_corpus_is_not_empty():
    assert len(CORPUS) >= 20


@given(mutated_corpus())
def test_mutated_corpus_files(source):
    assert_lints_cleanly(source)


@GENERATED
@given(hypothesmith.from_grammar())
def test_programs_generated_from_the_grammar(source):
    assert_lints_cleanly(HEADER + source)


@FROM_NODES
@given(hypothesmith.from_node())
def test_programs_generated_from_libcst_nodes(source):
    assert_lints_cleanly(HEADER + source)


@given(st.binary(max_size=400) | mutated_corpus().map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes(data):
    report = LINTER.lint_bytes(data, "fuzzed.py")
    assert not [e for e in report.errors if e.message.startswith(INTERNAL_ERROR)], report.errors


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)
CELL = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
     "source": st.one_of(mutated_corpus(), mutated_corpus().map(lambda t: t.splitlines(True)), JSON)},
    optional={"metadata": JSON, "outputs": JSON})
NOTEBOOK = st.one_of(
    JSON,
    st.fixed_dictionaries({"cells": st.lists(CELL, max_size=4)},
                          optional={"metadata": JSON, "nbformat": JSON, "worksheets": JSON}))


@given(NOTEBOOK)
def test_arbitrary_notebooks(notebook):
    report = LINTER.lint_bytes(json.dumps(notebook).encode(), "fuzzed.ipynb")
    assert not [e for e in report.errors if e.message.startswith(INTERNAL_ERROR)], report.errors
    for finding in report.findings:
        assert isinstance(finding.extra.get("cell"), int)


@given(mutated_corpus().map(lambda text: "# Title\n\n```python\n" + text + "\n```\n\ntext\n"))
def test_arbitrary_markdown(page):
    report = LINTER.lint_bytes(page.encode("utf-8", "surrogatepass"), "fuzzed.md")
    assert not [e for e in report.errors if e.message.startswith(INTERNAL_ERROR)], report.errors
