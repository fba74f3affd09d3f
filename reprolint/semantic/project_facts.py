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


# ---------------------------------------------------------------------- generators and distributions
#
# What a function returns or a class keeps is not an effect that its callers inherit (a function
# that calls ``make_generator()`` does not return a generator), so these facts are not in the
# ``facts`` set, which the index follows through calls: each has its own key in the function's
# summary, with its details (a generator's device, whether it is seeded, where it is made).

RETURNS_GENERATOR = "returns_generator"  # {"device": [kinds] | None, "seeded": bool, "line": n}
# {attribute: the same, for ``self.<attribute> = ...``; ``state.generator`` for ``self.state.generator``}
HOLDS_GENERATORS = "holds_generators"
RESEEDS_ATTRIBUTES = "reseeds"  # [attribute] of ``self.<attribute>.manual_seed(s)``
RETURNS_DISTRIBUTION = "returns_distribution"  # true: ``vae.encode(x).latent_dist``, a copy of the class
# {"line": n, "shuffle": bool | None, "sampler": bool, "num_workers": None | 0 | "some"}
FORWARDS_TO_DATALOADER = "dataloader_kwargs"


ACCELERATOR_DEVICE = "<accelerator>.device"  # as ``reprolint.semantic.values.Device`` names it


def generator_made_by(node, qualify: Callable[[ast.AST], Optional[str]], line: int,
                      generators: Optional[dict] = None, devices: Optional[dict] = None) -> Optional[dict]:
    """``torch.Generator(device)`` (seeded when followed by ``.manual_seed(s)``): its device
    kinds (None when not known) and whether it is seeded; also ``g.manual_seed(s)`` of a name
    in ``generators`` (local name -> what it holds). ``devices``: local names bound to device
    kinds (``device = accelerator.device``). Else None."""
    seeded = False
    while (type(node) is ast.Call and type(node.func) is ast.Attribute and node.func.attr == "manual_seed"
           and len(node.args) == 1):
        node, seeded = node.func.value, True
    if seeded and type(node) is ast.Name and generators and node.id in generators:
        return {**generators[node.id], "seeded": True}
    if type(node) is not ast.Call or not _may_be_named(node.func, "Generator") or \
            qualify(node.func) not in catalog.GENERATOR_CLASSES:
        return None
    device = next((k.value for k in node.keywords if k.arg == "device"), node.args[0] if node.args else None)
    kinds = ["cpu"] if device is None and not node.keywords else device_kinds(device, qualify, devices)
    return {"device": kinds, "seeded": seeded, "line": line}


def device_kinds(node, qualify, devices: Optional[dict] = None) -> Optional[list]:
    """``"cuda"``, ``f"cuda:{rank}"``, ``torch.device("cuda")``, ``"cuda" if ok else "cpu"``,
    ``accelerator.device`` (also ``self.accelerator.device``), a local name bound to one of these:
    every device kind the expression may name; None when one is not known."""
    kind = type(node)
    if kind is ast.Constant and type(node.value) is str:
        return [node.value]
    if kind is ast.Name:
        return devices.get(node.id) if devices else None
    if kind is ast.Attribute:
        if node.attr == "device" and (dotted_name(node.value) or "").rpartition(".")[2] == "accelerator":
            return [ACCELERATOR_DEVICE]
        return None
    if kind is ast.JoinedStr and node.values and type(node.values[0]) is ast.Constant:
        head = str(node.values[0].value)
        return ["cuda:?"] if head.startswith("cuda") else ["mps"] if head.startswith("mps") else None
    if kind is ast.Call and qualify(node.func) in catalog.TORCH_DEVICE_CLASSES and len(node.args) == 1:
        return device_kinds(node.args[0], qualify, devices)
    if kind is ast.IfExp:
        body, orelse = device_kinds(node.body, qualify, devices), device_kinds(node.orelse, qualify, devices)
        return sorted(set(body) | set(orelse)) if body is not None and orelse is not None else None
    return None


def merged_generators(first: Optional[dict], second: dict) -> dict:
    """Two places that make the generator one name holds: it may be on either device."""
    if first is None:
        return second
    devices = None if first["device"] is None or second["device"] is None else sorted(
        set(first["device"]) | set(second["device"]))
    return {"device": devices, "seeded": first["seeded"] and second["seeded"], "line": first["line"]}


def makes_distribution(node, qualify: Callable[[ast.AST], Optional[str]]) -> bool:
    """``<x>.latent_dist`` or a ``DiagonalGaussianDistribution(...)`` (diffusers' or a copy)."""
    if type(node) is ast.Attribute:
        return node.attr == catalog.LATENT_DISTRIBUTION_ATTRIBUTE
    if type(node) is ast.Call:
        # A copy of the class is matched by its name, as where it is called (``families``).
        if not _may_be_named(node.func, catalog.DIAGONAL_GAUSSIAN_NAME):
            return False
        name = qualify(node.func) or (node.func.id if type(node.func) is ast.Name else "")
        return name.rpartition(".")[2] == catalog.DIAGONAL_GAUSSIAN_NAME
    return False


def _may_be_named(func, name: str) -> bool:
    """Whether a callee may be ``name``: ``torch.Generator`` must end in it; a bare name may be an
    import alias (``from torch import Generator as G``). Checked before the dearer ``qualify``."""
    kind = type(func)
    return kind is ast.Name or (kind is ast.Attribute and func.attr == name)


def dataloader_forwarding(call: ast.Call, star_kwarg: Optional[str], qualify) -> Optional[dict]:
    """A ``DataLoader(...)`` that passes the function's own ``**kwargs`` on as its only ``**``
    argument and gives neither ``generator=`` nor ``worker_init_fn=``: what it passes itself."""
    if star_kwarg is None or not any(k.arg is None for k in call.keywords) or \
            qualify(call.func) not in catalog.DATALOADER_CLASSES:
        return None
    stars = [k.value for k in call.keywords if k.arg is None]
    if len(stars) != 1 or type(stars[0]) is not ast.Name or stars[0].id != star_kwarg:
        return None
    if any(type(arg) is ast.Starred for arg in call.args):
        return None
    given = {k.arg: k.value for k in call.keywords if k.arg is not None}
    if "generator" in given or "worker_init_fn" in given:
        return None
    shuffle, sampler, workers = given.get("shuffle"), given.get("sampler"), given.get("num_workers")
    return {"line": call.lineno,
            "shuffle": shuffle.value if type(shuffle) is ast.Constant and type(shuffle.value) is bool else None,
            "sampler": sampler is not None and not (type(sampler) is ast.Constant and sampler.value is None),
            # Its own ``num_workers=``: None when it passes none (the ``**kwargs`` may).
            "num_workers": None if workers is None else 0 if type(workers) is ast.Constant and workers.value == 0
            else "some"}
