from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Verification
from reprolint.semantic import catalog
from reprolint.semantic.values import Const


class DeterminismUndone(Rule):
    """
    ## What it does
    Flags `torch.use_deterministic_algorithms(False)`, `torch.backends.cudnn.deterministic = False`
    and `torch.utils.deterministic.fill_uninitialized_memory = False`.

    ## Why is this bad?
    Each switches off a determinism guarantee, often one set up elsewhere (a helper, a test
    fixture). Code after it runs nondeterministic kernels, or reads uninitialised memory whose
    contents vary from run to run.

    ## Example
    ```python
    torch.backends.cudnn.deterministic = False
    ```

    ## Use instead
    ```python
    torch.backends.cudnn.deterministic = True
    ```

    ## Fix safety
    No automatic fix: the switch may be deliberate (a benchmark, an operation without a
    deterministic implementation).

    ## Evidence
    - PyTorch docs, `notes/randomness.rst` and `torch.use_deterministic_algorithms`.
    - PyTorch docs, `torch.utils.deterministic.fill_uninitialized_memory`.
    """

    code = "RPL306"
    name = "determinism-undone"
    summary = "a determinism switch turned off"
    default = False
    triggers = ("use_deterministic_algorithms", "deterministic")
    verification = Verification(observe=None, compare=Compare.SAME_SEED, training=True,
                                gpu_only="non-deterministic CUDA kernels")

    def check(self, model):
        for call in model.calls_to(*catalog.USE_DETERMINISTIC_ALGORITHMS):
            arg = call.positional(0) or call.keyword("mode")
            if arg is not None and isinstance(arg.value, Const) and arg.value.value is False:
                yield self.report(model, call.node, "`torch.use_deterministic_algorithms(False)` switches "
                                  "deterministic algorithms off")
        switches = model.assignments_to(catalog.CUDNN_DETERMINISTIC, catalog.FILL_UNINITIALIZED_MEMORY)
        for assignment in switches:
            if isinstance(assignment.value, Const) and assignment.value.value is False:
                yield self.report(model, assignment.statement,
                                  f"`{assignment.qualified} = False` switches a determinism guarantee off")

    VALID = [
        Example(
            """
            import torch

            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.deterministic = True
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            torch.use_deterministic_algorithms(False)
            torch.backends.cudnn.deterministic = False
            """,
            expect=[(3, 1), (4, 1)],
        ),
    ]
