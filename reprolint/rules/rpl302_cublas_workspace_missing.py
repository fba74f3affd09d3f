from __future__ import annotations

from reprolint.findings import Applicability, Fix
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Verification
from reprolint.semantic import catalog
from reprolint.semantic import project_facts
from reprolint.semantic.values import Const, possible_values
from reprolint.versions import TORCH_WITHOUT_CUBLAS_CHECK, target_versions


CUBLAS_SETUP = 'os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")'


class CublasWorkspaceMissing(Rule):
    """
    ## What it does
    Flags `torch.use_deterministic_algorithms(True)` in a module that never sets the
    environment variable `CUBLAS_WORKSPACE_CONFIG` to `:4096:8` or `:16:8`
    (`os.environ[...] = ...`, `os.environ.setdefault(...)`, `os.environ.update(...)`,
    `os.putenv(...)`), or that sets it only after the module's first CUDA work (a GPU placement
    earlier at the top level). A function that switches deterministic algorithms on around one
    operation and then restores the saved mode is a scoped toggle, not a setup, and is not
    reported. Not reported where `enable_full_determinism()` or a helper named
    in `determinism-helpers` is used (they set the variable), nor where the module mentions the
    variable in a way reprolint does not follow. A project function that only switches
    deterministic algorithms on (a `main()` calling `torch.use_deterministic_algorithms(True)`)
    does not set the variable, and does not keep the rule silent.

    Only where the target torch still checks the variable: torch 2.10 removed the check and the
    variable's mention from `use_deterministic_algorithms`' documentation (pytorch#161749; 2.9's
    docstring and `libtorch` still name `CUBLAS_WORKSPACE_CONFIG`, 2.10's do not). The target
    torch comes from `target-version`, else the project's pins, else the newest release (see
    docs/configuration.md); a project that targets torch 2.10 or later gets no RPL302.

    ## Why is this bad?
    With deterministic algorithms on, cuBLAS matrix multiplies on CUDA 10.2+ raise a
    `RuntimeError` unless the workspace is configured, and cuBLAS reads the variable once, when it
    initialises: setting it after CUDA work has started has no effect.

    ## Example
    ```python
    import torch

    torch.use_deterministic_algorithms(True)
    ```

    ## Use instead
    ```python
    import os

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    torch.use_deterministic_algorithms(True)
    ```

    ## Fix safety
    Safe: inserts `os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")` right before the
    module's first `import torch` (with `import os` before it, unless `os` is imported earlier); a
    value already set in the environment wins. Only the missing variable is fixed: a wrong value,
    or one set after CUDA work started, is left for a person to move or correct.

    ## Evidence
    - PyTorch docs, `torch.use_deterministic_algorithms` and `notes/randomness.rst` (up to 2.9).
    - pytorch/pytorch#161749, "remove workspace requirement checks": first released in torch 2.10.
    - NVIDIA cuBLAS docs, "Results reproducibility".
    """

    code = "RPL302"
    name = "cublas-workspace-missing"
    summary = "deterministic algorithms without `CUBLAS_WORKSPACE_CONFIG`"
    fix_safety = Applicability.SAFE
    triggers = ("use_deterministic_algorithms",)
    verification = Verification(observe=None, compare=Compare.SAME_SEED, training=True,
                                gpu_only="cuBLAS without CUBLAS_WORKSPACE_CONFIG")

    def check(self, model):
        switches = [c for c in model.lasting_determinism_setups if c.qualname in catalog.USE_DETERMINISTIC_ALGORITHMS]
        if not switches or _sets_variable_elsewhere(model):
            return
        if target_versions(self.settings.target_version, model.path).torch_at_least(TORCH_WITHOUT_CUBLAS_CHECK):
            return  # that torch no longer asks for the variable (pytorch#161749)
        writes = [w for w in model.env_writes if w.name == catalog.CUBLAS_WORKSPACE_CONFIG]
        if not writes:
            if catalog.CUBLAS_WORKSPACE_CONFIG in model.source:
                return  # written in a way we do not follow (a loop, a subprocess env)
            yield self.report(
                model, switches[0].node,
                "deterministic algorithms without CUBLAS_WORKSPACE_CONFIG: cuBLAS raises an error (or "
                'is not deterministic); set os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8" before '
                "importing torch",
                fix=Fix(Applicability.SAFE, "Set CUBLAS_WORKSPACE_CONFIG before importing torch",
                        statements_before_torch=("import os", CUBLAS_SETUP)),
            )
            return
        if not any(_may_be_deterministic_workspace(w.value) for w in writes):
            yield self.report(
                model, switches[0].node,
                "CUBLAS_WORKSPACE_CONFIG is set, but not to `:4096:8` or `:16:8`, the values that make "
                "cuBLAS deterministic",
            )
            return
        first_cuda = _first_top_level_cuda_work(model)
        if first_cuda is None:
            return
        if all(w.scope == "<module>" and w.order > first_cuda[0] for w in writes):
            yield self.report(
                model, switches[0].node,
                f"CUBLAS_WORKSPACE_CONFIG is set only after CUDA work started (line "
                f"{model.line(first_cuda[1])}); cuBLAS reads it once at initialisation: set it before",
            )

    VALID = [
        Example(
            """
            import os

            os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
            import torch

            torch.use_deterministic_algorithms(True)
            """
        ),
        Example(
            """
            import torch
            from diffusers.utils.torch_utils import enable_full_determinism

            enable_full_determinism()
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            torch.use_deterministic_algorithms(True)
            model = torch.nn.Linear(2, 2).to("cuda")
            """,
            expect=[(3, 1)],
            fixed="""
            import os
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            import torch

            torch.use_deterministic_algorithms(True)
            model = torch.nn.Linear(2, 2).to("cuda")
            """,
        ),
        Example(
            """
            import os
            import torch

            model = torch.nn.Linear(2, 2).to("cuda")
            model(torch.ones(2, device="cuda"))
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            """,
            expect=[(7, 1)],
        ),
    ]


def _sets_variable_elsewhere(model) -> bool:
    """``enable_full_determinism``, the user's ``determinism-helpers`` and a project function
    that writes the variable (directly or through the functions it calls) set it;
    ``set_seed(deterministic=True)``, Lightning's ``Trainer(deterministic=True)`` and a project
    function that only switches deterministic algorithms on (``main()`` calling
    ``torch.use_deterministic_algorithms(True)``) do not."""
    for call in model.determinism_setups:
        if call.qualname in catalog.ENABLE_FULL_DETERMINISM or id(call) in model.configured_determinism_helpers:
            return True
    return any(model.call_does(call, project_facts.SETS_CUBLAS_WORKSPACE) for call in model.calls)


def _may_be_deterministic_workspace(value) -> bool:
    for option in possible_values(value):
        if not isinstance(option, Const) or option.value in catalog.CUBLAS_DETERMINISTIC_WORKSPACES:
            return True
    return False


def _first_top_level_cuda_work(model):
    """(evaluation order, node) of the first GPU placement at the module's top level."""
    best = None
    for placement in model.placements:
        fact = model.call_fact(placement.node)
        if fact is None or fact.scope != "<module>":
            continue
        order = model.call_order(placement.node)
        if best is None or order < best[0]:
            best = (order, placement.node)
    return best
