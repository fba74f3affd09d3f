from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.semantic import catalog
from reprolint.semantic.values import Const


class CudnnBenchmark(Rule):
    """
    ## What it does
    Flags `torch.backends.cudnn.benchmark = True`.

    ## Why is this bad?
    With benchmarking on, cuDNN times several convolution algorithms on the first call and keeps
    the fastest; which one wins depends on timing noise, so two runs may use different
    algorithms with different numerics. It also overrides `cudnn.deterministic = True`.

    ## Example
    ```python
    torch.backends.cudnn.benchmark = True
    ```

    ## Use instead
    ```python
    torch.backends.cudnn.benchmark = False
    ```

    ## Fix safety
    No automatic fix yet. Setting it to `False` would be an unsafe fix: convolutions may get
    slower.

    ## Evidence
    - PyTorch docs, `notes/randomness.rst`, "CUDA convolution benchmarking".
    """

    code = "RPL303"
    name = "cudnn-benchmark"
    summary = "`cudnn.benchmark = True`"
    triggers = ("benchmark",)

    def check(self, model):
        for assignment in model.assignments_to(catalog.CUDNN_BENCHMARK):
            if isinstance(assignment.value, Const) and assignment.value.value is True:
                yield self.report(
                    model, assignment.statement,
                    "cudnn.benchmark = True lets cuDNN pick convolution algorithms by timing, differently "
                    "from run to run; set it to False",
                )

    VALID = [
        Example(
            """
            import torch

            torch.backends.cudnn.benchmark = False
            """
        ),
        Example(
            """
            import torch

            torch.backends.cudnn.benchmark = args.benchmark
            """,
            note="a value reprolint cannot know",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch

            torch.backends.cudnn.benchmark = True
            """,
            expect=[(3, 1)],
        ),
        Example(
            """
            from torch.backends import cudnn

            cudnn.benchmark = True
            """,
            expect=[(3, 1)],
        ),
    ]
