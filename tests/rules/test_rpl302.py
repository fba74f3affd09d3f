"""RPL302 cublas-workspace-missing: must-flag and must-not-flag cases beyond the rule's own examples."""

import json

import pytest

from tests.conftest import codes


@pytest.mark.parametrize("setup,flagged", [
    ('os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":16:8"', False),
    ('os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")', False),
    ('os.putenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")', False),
    ('os.environ.update({"CUBLAS_WORKSPACE_CONFIG": ":4096:8"})', False),
    ('os.environ["CUBLAS_WORKSPACE_CONFIG"] = workspace', False),
    ('env = dict(os.environ, CUBLAS_WORKSPACE_CONFIG=":4096:8")', False),
    ('os.environ["OTHER"] = "1"', True),
])
def test_cublas_environment_writes(setup, flagged):
    code = f"""
        import os
        import torch

        {setup}
        torch.use_deterministic_algorithms(True)
    """
    assert bool(codes(code, "RPL302")) is flagged


def test_cublas_written_in_main_after_a_function_that_places_is_not_late():
    code = """
        import os
        import torch

        def load():
            return torch.nn.Linear(2, 2).to("cuda")

        if __name__ == "__main__":
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
            torch.use_deterministic_algorithms(True)
            load()
    """
    assert codes(code, "RPL302") == []


def test_cublas_not_needed_with_enable_full_determinism_or_warn_false():
    code = """
        import torch
        from transformers import enable_full_determinism

        enable_full_determinism(0)
        torch.use_deterministic_algorithms(True)
    """
    assert codes(code, "RPL302") == []
    assert codes("import torch\ntorch.use_deterministic_algorithms(False)", "RPL302") == []


def test_scoped_deterministic_toggle_is_not_a_setup():
    code = """
        import torch

        def topk_deterministic(*args, **kwargs):
            prior = torch.are_deterministic_algorithms_enabled()
            try:
                torch.use_deterministic_algorithms(True)
                return torch.topk(*args, **kwargs)
            finally:
                torch.use_deterministic_algorithms(prior)

        compiled = torch.compile(model)
    """
    assert codes(code, "RPL302,RPL305") == []


def test_module_level_switch_beside_a_scoped_toggle_still_counts():
    code = """
        import torch

        torch.use_deterministic_algorithms(True)

        def scoped():
            prior = torch.are_deterministic_algorithms_enabled()
            torch.use_deterministic_algorithms(False)
            torch.use_deterministic_algorithms(prior)
    """
    assert codes(code, "RPL302") == [("RPL302", 3)]


def test_notebook_env_magic_orders_against_cuda_work(tmp_path):
    from reprolint.engine import Linter
    from reprolint.settings import Settings

    def notebook(*cells):
        return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                                      "outputs": [], "source": c} for c in cells],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    late = tmp_path / "late.ipynb"
    late.write_text(notebook("import torch\nmodel = torch.nn.Linear(2, 2).cuda()",
                             "%env CUBLAS_WORKSPACE_CONFIG=:4096:8\ntorch.use_deterministic_algorithms(True)"))
    early = tmp_path / "early.ipynb"
    early.write_text(notebook("%env CUBLAS_WORKSPACE_CONFIG=:4096:8\nimport torch",
                              "torch.use_deterministic_algorithms(True)\nmodel = torch.nn.Linear(2, 2).cuda()"))
    linter = Linter(Settings(select=("RPL302",), target_version="2.4"))
    assert [f.code for f in linter.lint_file(str(late)).findings] == ["RPL302"]
    assert linter.lint_file(str(early)).findings == []
