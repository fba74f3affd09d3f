from __future__ import annotations

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Verification
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
    Unsafe: convolutions may get slower. The fix replaces the assigned `True` with `False`
    (`torch.backends.cudnn.benchmark = False`); the rest of the statement is kept.

    ## Evidence
    - PyTorch docs, `notes/randomness.rst`, "CUDA convolution benchmarking".
    """

    code = "RPL303"
    name = "cudnn-benchmark"
    summary = "`cudnn.benchmark = True`"
    fix_safety = Applicability.UNSAFE
    triggers = ("benchmark",)
    verification = Verification(observe=None, compare=Compare.SAME_SEED, training=True,
                                gpu_only="cuDNN's benchmarked algorithm choice")

    def check(self, model):
        for assignment in model.assignments_to(catalog.CUDNN_BENCHMARK):
            if isinstance(assignment.value, Const) and assignment.value.value is True:
                yield self.report(
                    model, assignment.statement,
                    "cudnn.benchmark = True lets cuDNN pick convolution algorithms by timing, differently "
                    "from run to run; set it to False",
                    fix=self._fix(assignment.statement),
                )

    @staticmethod
    def _fix(statement):
        value = getattr(statement, "value", None)
        if not isinstance(value, cst.Name) or value.value != "True":
            return None
        return Fix(Applicability.UNSAFE, "Set it to False", replacements={value: cst.Name("False")})

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
            fixed="""
            import torch

            torch.backends.cudnn.benchmark = False
            """,
        ),
        Example(
            """
            from torch.backends import cudnn

            cudnn.benchmark = True
            """,
            expect=[(3, 1)],
        ),
    ]
