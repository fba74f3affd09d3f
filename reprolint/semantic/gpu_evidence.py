"""Where run-to-run GPU nondeterminism is established for a module (RPL301), and where a module
only runs a model forward on the GPU (RPL308).

GPU kernels are not bit-for-bit deterministic, but that matters to a module only where it
promises repeatable results: a seeded training run, a test that compares outputs with values
stored from an earlier run, or code that asks for determinism and misses a piece. Seeded
forward-only inference, demos, apps and benchmarks are the strict reading (RPL308, off by
default). A module that other project modules import is a library: the setup belongs to the
entry point that runs it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from reprolint.semantic.imports import dotted_name
from reprolint.semantic import catalog, project_facts
from reprolint.semantic.model import SemanticModel
from reprolint.semantic.values import Const

TRAINING = "training"
REFERENCE = "reference"
ASKED = "asked"

_BACKWARD_METHODS = frozenset({"backward", "manual_backward"})
# A seed the entry point takes: an option, a parameter, a setting read (comments aside, rare).
_TAKES_SEED = re.compile(r"""["']--(?:\w+[-_])?seed["']|\.(?:\w+_)?seed\b(?!\()|\bseed\s*[:=,)]""")
# A name holding values stored from an earlier run: diffusers' ``expected_slice``, a
# reference image or tensor.
EXPECTED_NAME = re.compile(r"^(?:expected|reference|ref|golden)(?:_\w+)?$|^\w*_(?:expected|reference)$", re.I)
_LOADERS = frozenset({"load_image", "load_numpy", "load_pt", "load", "open", "imread", "from_numpy"})
_LITERAL_MAKERS = frozenset({"array", "tensor", "asarray", "as_tensor"})
_GPU_TEST_WORDS = ("cuda", "torch_device", "require_torch_gpu", "require_torch_accelerator", "require_big_gpu")
_COMPARISONS = ("assert", "allclose", "assert_close", "cosine_similarity", "max_diff", "isclose")
_BENCHMARK_FILE = re.compile(r"bench|profil", re.I)
_DETERMINISTIC_FLAG = re.compile(r"""["']--deterministic["']""")


@dataclass(frozen=True)
class Evidence:
    kind: str  # TRAINING, REFERENCE or ASKED
    node: cst.CSTNode  # where to report
    description: str  # what establishes it, for the message


def rpl301_evidence(model: SemanticModel) -> Optional[Evidence]:
    """Why the module's GPU results are meant to repeat, where no determinism setup is reached."""
    if model.determinism_setups or model.imported_by_project:
        return None
    asked = _asked_for_determinism(model)
    if asked is not None:
        return asked
    reference = _stored_reference_comparison(model)
    if reference is not None:
        return reference
    return _seeded_gpu_training(model)


def rpl308_placement(model: SemanticModel):
    """The first GPU placement of a model or pipeline the entry point then runs (RPL301's former
    reading), or None."""
    if model.determinism_setups or model.imported_by_project or not model.is_entry_point():
        return None
    for placement in model.placements:
        if (placement.pipeline and model.pipeline_calls) or (placement.keys & model.called_keys):
            return placement
    return None


# -- seeded training ---------------------------------------------------------------------------

def _seeded_gpu_training(model: SemanticModel) -> Optional[Evidence]:
    if _BENCHMARK_FILE.search(os.path.basename(model.path)):
        return None  # a timing benchmark promises speed, not repeatable results
    if not model.is_entry_point() or not _seeds_or_takes_a_seed(model):
        return None
    step = _training_step(model)
    if step is None or not _uses_gpu(model):
        return None
    node, what = step
    placement = next((p for p in model.placements if p.keys & model.called_keys), None)
    if placement is not None:
        return Evidence(TRAINING, placement.node, f"is seeded and trains on the GPU ({what}; `{placement.description}`)")
    return Evidence(TRAINING, node, f"is seeded and trains on the GPU ({what})")


def _seeds_or_takes_a_seed(model: SemanticModel) -> bool:
    """A seeding call (also inside a project function or class it calls: a trainer class that
    seeds in its ``train`` method), or a seed it takes (an option, a parameter)."""
    return bool(model.seeding_calls or model.may_seed_globally() or _TAKES_SEED.search(model.source)
                or any(model.call_does(call, project_facts.SEEDS_TORCH) for call in model.calls))


def _training_step(model: SemanticModel):
    """(node, description) of a backward pass or optimizer step the module runs, also through a
    project function or class (a launcher, a trainer) it calls; or a Lightning ``fit``."""
    trainer_made = bool(model.calls_to(*catalog.LIGHTNING_TRAINERS))
    for call in model.calls:
        if call.method in _BACKWARD_METHODS:
            return call.node, f"`{dotted_name(call.node.func) or call.method}()`"
        if call.method == "step" and "optim" in (dotted_name(call.node.func) or "").lower():
            return call.node, f"`{dotted_name(call.node.func)}()`"
        if call.method == "fit" and trainer_made:
            return call.node, "a Lightning `fit`"
    # Only then through the project: the module's own backward pass is the better place, and
    # an imported launcher a better one than the module's own ``main()`` that calls it.
    through = [call for call in model.calls if model.call_does(call, project_facts.RUNS_BACKWARD)]
    through.sort(key=lambda call: call.qualname is None)
    for call in through:
        return call.node, f"`{dotted_name(call.node.func) or 'a project function'}(...)` runs a backward pass"
    return None


def _uses_gpu(model: SemanticModel) -> bool:
    return bool(model.placements or model.calls_to(*catalog.ACCELERATOR_CLASSES)
                or model.calls_to(*catalog.LIGHTNING_TRAINERS) or "cuda" in model.source
                or "torch.accelerator" in model.source  # torch's device-generic API (2.6+)
                or "accelerator.backward" in model.source  # accelerate's training: for GPUs
                or "accelerator.device" in model.source)


# -- comparisons with stored values ------------------------------------------------------------

def _stored_reference_comparison(model: SemanticModel) -> Optional[Evidence]:
    source = model.source
    if not any(word in source for word in ("expected", "reference", "golden", "ref_")):
        return None
    if not any(word in source for word in _GPU_TEST_WORDS) or not any(word in source for word in _COMPARISONS):
        return None
    if "ExecutionProvider" in source:
        return None  # onnxruntime's GPU: torch's determinism setup does not govern its kernels
    for assign in model.syntax.nodes(cst.Assign):
        if len(assign.targets) != 1:
            continue
        target = assign.targets[0].target
        name = target.value if isinstance(target, cst.Name) else None
        if name is None or not EXPECTED_NAME.match(name):
            continue
        what = _stored_value(assign.value)
        if what is not None and _runs_on_gpu_where(model, assign):
            return Evidence(REFERENCE, assign, f"compares GPU outputs with {what} (`{name}`)")
    return None


def _runs_on_gpu_where(model: SemanticModel, node) -> bool:
    """Whether the test holding ``node`` runs on the GPU: its function mentions ``cuda`` or
    ``torch_device``, or its class is marked as needing an accelerator. A fast test whose
    expected slice is computed on the CPU ("the expected slice below is CPU-specific") is not."""
    parents = model.syntax.parents
    function = None
    while node in parents:
        node = parents[node]
        if isinstance(node, cst.FunctionDef) and function is None:
            function = node
            if any(word in model.code(node) for word in _GPU_TEST_WORDS):
                return True
        elif isinstance(node, cst.ClassDef):
            decorators = "".join(model.code(d) for d in node.decorators)
            if any(word in decorators for word in _GPU_TEST_WORDS):
                return True
    if function is None:  # a module-level script: the module's own GPU use counts
        return True
    return False


def _stored_value(value) -> Optional[str]:
    """What kind of stored value an assignment's value is: a literal of numbers
    (``np.array([0.1, ...])``, ``torch.tensor([...])``, a list), or one loaded from a file."""
    if isinstance(value, (cst.List, cst.Tuple)) and value.elements and _numbers(value):
        return "stored expected values"
    if isinstance(value, cst.Call):
        method = value.func.attr.value if isinstance(value.func, cst.Attribute) else (
            value.func.value if isinstance(value.func, cst.Name) else None)
        if method in _LITERAL_MAKERS and value.args and isinstance(value.args[0].value, (cst.List, cst.Tuple)) \
                and _numbers(value.args[0].value):
            return "stored expected values"
        if method in _LOADERS:
            return "a reference loaded from a file"
        # ``load_numpy(url).to(torch_device)``, ``np.array([...]).reshape(...)``
        if isinstance(value.func, cst.Attribute):
            return _stored_value(value.func.value)
    return None


def _numbers(display) -> bool:
    elements = list(display.elements)
    while elements and isinstance(elements[0].value, (cst.List, cst.Tuple)):
        elements = list(elements[0].value.elements)
    return bool(elements) and all(
        isinstance(e.value, (cst.Float, cst.Integer))
        or (isinstance(e.value, cst.UnaryOperation) and isinstance(e.value.expression, (cst.Float, cst.Integer)))
        for e in elements)


# -- asked for determinism, missed a piece -----------------------------------------------------

def _asked_for_determinism(model: SemanticModel) -> Optional[Evidence]:
    """A ``--deterministic`` option that nothing reads, or cuDNN's deterministic flag set in a
    GPU entry point that never switches deterministic algorithms on: the user asks, and a piece
    is missing."""
    cudnn_only = _cudnn_flag_only(model)
    if cudnn_only is not None:
        return cudnn_only
    source = model.source
    if not _DETERMINISTIC_FLAG.search(source) or re.search(r"\.deterministic\b|\bdeterministic\s*=", source):
        return None
    if not _uses_gpu(model):
        return None
    for call in model.calls:
        if call.method == "add_argument":
            first = call.positional(0)
            if first is not None and isinstance(first.node.value, cst.SimpleString) and \
                    first.node.value.value.strip("'\"") == "--deterministic":
                return Evidence(ASKED, call.node, "takes `--deterministic`, but nothing reads it")
    return None


def _cudnn_flag_only(model: SemanticModel) -> Optional[Evidence]:
    flags = [a for a in model.assignments_to(catalog.CUDNN_DETERMINISTIC)
             if isinstance(a.value, Const) and a.value.value is True]
    if not flags or not model.is_entry_point() or _training_step(model) is None or not _uses_gpu(model):
        return None
    return Evidence(ASKED, flags[0].statement,
                    "sets `cudnn.deterministic = True` but never `torch.use_deterministic_algorithms(True)`, "
                    "so other CUDA kernels of its training (atomic adds in backward passes, `index_add`, "
                    "scatter) stay nondeterministic")
