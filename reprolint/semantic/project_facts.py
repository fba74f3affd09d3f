"""Typed facts about what a project function does, for the project index.

"Sets up determinism" as one bit is how a function that only switches deterministic algorithms on
came to be taken for one that also sets the cuBLAS variable (RPL302 went silent). Each fact here
names one effect, read from one statement of the function's body with the stdlib ``ast``; the
index (``reprolint.semantic.project``) follows them through the project functions a function calls.
"""

from __future__ import annotations

import ast
from typing import Callable, Optional

from reprolint.prefilter import dotted_name  # stdlib-ast names
from reprolint.semantic import catalog

SEEDS_TORCH = "seeds:torch"  # torch's global CPU generator
SEEDS_CUDA = "seeds:cuda"
SEEDS_NUMPY = "seeds:numpy"
SEEDS_RANDOM = "seeds:random"
UNSEEDS_TORCH = "unseeds:torch"  # ``torch.seed()``: re-seeds at random
SWITCHES_DETERMINISTIC = "switches-deterministic-algorithms"  # ``use_deterministic_algorithms(True)``
# ... so that an op without a deterministic kernel raises: no ``warn_only=True`` (RPL309)
SWITCHES_DETERMINISTIC_RAISING = "switches-deterministic-algorithms-raising"
SETS_CUBLAS_WORKSPACE = "sets-cublas-workspace"  # writes ``CUBLAS_WORKSPACE_CONFIG``
SETS_CUDNN_FLAGS = "sets-cudnn-deterministic"  # ``cudnn.deterministic = True``
RUNS_BACKWARD = "runs-backward"  # ``loss.backward()``, ``accelerator.backward(loss)``

_SEEDS = {
    "torch.manual_seed": SEEDS_TORCH, "torch.random.manual_seed": SEEDS_TORCH,
    "torch.cuda.manual_seed": SEEDS_CUDA, "torch.cuda.manual_seed_all": SEEDS_CUDA,
    "numpy.random.seed": SEEDS_NUMPY, "random.seed": SEEDS_RANDOM,
}
_UNSEEDS = frozenset({"torch.seed", "torch.random.seed"})
# Helpers of libraries whose whole effect is known.
_LIBRARY_HELPERS = {
    **{name: (SWITCHES_DETERMINISTIC, SETS_CUBLAS_WORKSPACE, SETS_CUDNN_FLAGS)
       for name in catalog.ENABLE_FULL_DETERMINISM},
}
_BACKWARD_METHODS = frozenset({"backward", "manual_backward"})
_ENV_WRITERS = frozenset({"os.environ.setdefault", "os.environ.update", "os.putenv"})


def statement_facts(stmt: ast.stmt, qualify: Callable[[ast.AST], Optional[str]]) -> set:
    """The typed facts one statement of a function shows (not those of the functions it calls)."""
    facts: set = set()
    kind = type(stmt)
    if kind is ast.Assign:
        for target in stmt.targets:
            if type(target) is ast.Subscript and _is_cublas_key(target.slice) and _is_environ(target.value, qualify):
                facts.add(SETS_CUBLAS_WORKSPACE)
            elif (type(target) is ast.Attribute and qualify(target) == catalog.CUDNN_DETERMINISTIC
                  and type(stmt.value) is ast.Constant and stmt.value.value is True):
                facts.add(SETS_CUDNN_FLAGS)
        value = stmt.value
    elif kind in (ast.Expr, ast.Return, ast.AnnAssign):
        value = stmt.value
    else:
        return facts
    while type(value) is ast.Await:
        value = value.value
    if type(value) is not ast.Call:
        return facts
    callee = qualify(value.func)
    method = value.func.attr if type(value.func) is ast.Attribute else None
    if method in _BACKWARD_METHODS:
        facts.add(RUNS_BACKWARD)
    if callee is None:
        return facts
    if callee in _SEEDS:
        facts.add(_SEEDS[callee])
    elif callee in _UNSEEDS:
        facts.add(UNSEEDS_TORCH)
    elif callee in catalog.TORCH_GLOBAL_SEEDING_CALLS:
        facts.add(SEEDS_TORCH)
    facts.update(_LIBRARY_HELPERS.get(callee, ()))
    if callee in catalog.ENABLE_FULL_DETERMINISM and not _warns_only(value):
        facts.add(SWITCHES_DETERMINISTIC_RAISING)
    if callee in catalog.USE_DETERMINISTIC_ALGORITHMS:
        mode = value.args[0] if value.args else next((k.value for k in value.keywords if k.arg == "mode"), None)
        if type(mode) is ast.Constant and mode.value is True:
            facts.add(SWITCHES_DETERMINISTIC)
            if not _warns_only(value):
                facts.add(SWITCHES_DETERMINISTIC_RAISING)
    if callee in _ENV_WRITERS and any(_mentions_cublas(arg) for arg in [*value.args, *(k.value for k in value.keywords)]):
        facts.add(SETS_CUBLAS_WORKSPACE)
    return facts


def _warns_only(call: ast.Call) -> bool:
    """``warn_only=`` given, and not a literal false: the call may only warn (an unknown value
    counts as warning, so that RPL309 stays silent where it cannot tell)."""
    arg = next((k.value for k in call.keywords if k.arg == "warn_only"), None)
    if arg is None:
        return any(k.arg is None for k in call.keywords)  # **options may carry it
    return not (type(arg) is ast.Constant and arg.value in (False, 0, None))


def _is_environ(node, qualify) -> bool:
    return qualify(node) == "os.environ" or dotted_name(node) == "os.environ"


def _is_cublas_key(node) -> bool:
    return type(node) is ast.Constant and node.value == catalog.CUBLAS_WORKSPACE_CONFIG


def _mentions_cublas(node) -> bool:
    if type(node) is ast.Constant:
        return node.value == catalog.CUBLAS_WORKSPACE_CONFIG
    if type(node) is ast.Dict:
        return any(_mentions_cublas(key) for key in node.keys if key is not None)
    return False
