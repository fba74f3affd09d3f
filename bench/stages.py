"""Where a cold run's CPU time goes, stage by stage (the profile in bench/README.md).

    python bench/stages.py [CORPUS]

Runs pass 1 and the linting pass over the corpus in this one process (no pool, no cache), as a
cold ``reprolint check --jobs 1 --no-cache`` does, with a CPU-time counter around each stage.
Stages nest where noted (positions and the shared index are built inside the rules' time).
Nothing here runs in the test suite.
"""

from __future__ import annotations

import ast
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from run import default_corpus, python_files  # noqa: E402

TOTALS: dict = {}
CALLS: dict = {}


def timed(owner, attribute: str, label: str) -> None:
    original = getattr(owner, attribute)

    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            TOTALS[label] = TOTALS.get(label, 0.0) + time.process_time() - start
            CALLS[label] = CALLS.get(label, 0) + 1

    setattr(owner, attribute, wrapper)


def main() -> None:
    corpus = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else default_corpus())
    root = os.path.dirname(corpus)  # the package keeps its name, as in bench/run.py
    from reprolint import engine, prefilter
    from reprolint.semantic import analyzer, positions, project, tree

    timed(ast, "parse", "stdlib ast.parse (pass 1, and files pass 1 gave no verdict)")
    timed(project, "summarise", "pass 1: module summaries (walk only)")
    timed(prefilter.ModuleFacts, "from_tree", "prefilter: stdlib-ast facts")
    timed(engine.Linter, "parse", "libcst parse_module")
    timed(analyzer, "analyse", "semantic analysis")
    timed(engine.Linter, "_lint_module", "analysis + rules + noqa (all of a parsed file's work)")
    timed(tree.SyntaxIndex, "__init__", "  of which: the shared index (parents, nodes by type)")
    timed(positions.Positions, "_generate_statement", "  of which: positions, one statement at a time")
    timed(positions.Positions, "_generate_module", "  of which: positions, whole modules")

    files = python_files(corpus)
    linter = engine.Linter()
    start = time.process_time()
    linter.project = linter.index_project(files, [root])
    index_cpu = time.process_time() - start
    start = time.process_time()
    analysed = 0
    for path in files:
        analysed += not linter.lint_file(path).prefiltered
    lint_cpu = time.process_time() - start
    total = index_cpu + lint_cpu
    print(f"corpus: {corpus} ({len(files)} files, {analysed} parsed by libcst)\n")
    print("| stage | calls | CPU s | share of the run |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| pass 1 (project index, with the prefilter's verdicts) | 1 | {index_cpu:.1f} | {index_cpu / total:.0%} |")
    print(f"| linting pass | {len(files)} | {lint_cpu:.1f} | {lint_cpu / total:.0%} |")
    for label, seconds in TOTALS.items():
        print(f"| {label} | {CALLS[label]} | {seconds:.1f} | {seconds / total:.0%} |")
    print(f"| **whole run** | | **{total:.1f}** | 100% |")


if __name__ == "__main__":
    main()
