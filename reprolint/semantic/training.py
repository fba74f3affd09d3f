"""Whether a module trains: shared by the rules about training scripts (RPL204, RPL309).

Read off the model's calls and the shared syntax index; additive to the flow analysis.
"""

from __future__ import annotations

import libcst as cst


def trains(model) -> bool:
    """The module runs a backward pass (``loss.backward()``, ``accelerator.backward(loss)``) or
    defines a Lightning ``training_step``."""
    if any(call.method == "backward" for call in model.calls):
        return True
    if "training_step" not in model.source:
        return False  # the common case, without building the syntax index
    return any(node.name.value == "training_step" for node in model.syntax.nodes(cst.FunctionDef))
