"""Whether a draw is the initial noise of a sampling function.

A draw outside loops, in a function that returns it (``return torch.randn(...)``, ``noise =
torch.randn(...); return noise``, ``return torch.randn(...).to(device)``) or that runs a loop
(the denoising loop the noise starts). Noise a training step draws for ``add_noise`` and returns
no further is not initial noise. Read off the shared syntax index.
"""

from __future__ import annotations

import libcst as cst

from reprolint.semantic.definitions import enclosing_definitions
from reprolint.semantic.tree import walk


def is_initial_noise(model, draw: cst.Call) -> bool:
    parents = model.syntax.parents
    function = next(enclosing_definitions(parents, draw), None)
    if not isinstance(function, cst.FunctionDef):
        return False
    bound = None
    child = draw
    while child in parents and child is not function:
        parent = parents[child]
        if isinstance(parent, cst.Return):
            return True
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            bound = parent.targets[0].target.value
            break
        if isinstance(parent, (cst.SimpleStatementLine, cst.IndentedBlock)):
            break
        child = parent
    for node in walk(function.body):
        if isinstance(node, (cst.For, cst.While)):
            return True
        if bound is not None and isinstance(node, cst.Return) and node.value is not None:
            returned = node.value
            elements = returned.elements if isinstance(returned, cst.Tuple) else [returned]
            for element in elements:
                value = element.value if isinstance(element, cst.Element) else element
                if isinstance(value, cst.Name) and value.value == bound:
                    return True
    return False
