"""Property test: a lint answered from the cache is the lint without it, for any file (the
mutated corpus of tests/test_fuzz.py, notebooks and undecodable bytes included)."""

from __future__ import annotations

import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from reprolint.cache import Cache
from reprolint.engine import Linter
from reprolint.parallel import detach
from reprolint.settings import Settings
from tests.test_fuzz import mutated_corpus

LINTER = Linter(Settings(select=("ALL",)))
FILES = st.lists(
    st.one_of(mutated_corpus().map(lambda text: ("code.py", text.encode("utf-8", "surrogatepass"))),
              st.binary(max_size=200).map(lambda data: ("bytes.py", data)),
              mutated_corpus().map(lambda text: ("nb.ipynb", (
                  '{"cells": [{"cell_type": "code", "source": %s}], "metadata": {}, "nbformat": 4}'
                  % __import__("json").dumps(text)).encode()))),
    min_size=1, max_size=3)


def _results(run) -> list:
    return [(os.path.basename(report.path), detach(report)) for report in run.files]


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(FILES)
def test_results_with_and_without_the_cache_are_identical(files):
    with tempfile.TemporaryDirectory() as folder:
        project, cache_dir = os.path.join(folder, "project"), os.path.join(folder, "cache")
        os.mkdir(project)
        for index, (name, data) in enumerate(files):
            with open(os.path.join(project, f"{index}_{name}"), "wb") as handle:
                handle.write(data)
        uncached = _results(LINTER.lint_paths([project]))
        cold = _results(LINTER.lint_paths([project], cache=Cache.for_settings(cache_dir, LINTER.settings)))
        stored = sum(len(names) for _, _, names in os.walk(cache_dir))
        assert stored >= len(uncached)  # the warm run below is answered from these entries
        warm = _results(LINTER.lint_paths([project], cache=Cache.for_settings(cache_dir, LINTER.settings)))
    assert cold == uncached
    assert warm == uncached
