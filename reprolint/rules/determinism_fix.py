"""The fix RPL301 and RPL308 share: determinism setup where the entry point starts.

Torch-only (``torch.use_deterministic_algorithms(True)``, the cuDNN flags, and the cuBLAS variable
where the target torch still needs it), in every module, those that import diffusers too: a
project without diffusers gains no import it cannot satisfy, and diffusers' own
``enable_full_determinism()`` sets ``CUDA_LAUNCH_BLOCKING=1``, which serialises every kernel launch
and makes nothing more deterministic. The statements go at the start of the ``__main__`` block when
the module's GPU work runs from there, else after the module's imports. No fix where the module
also uses what undoes the setup (xFormers, TF32, ``torch.compile`` before torch 2.10): the message
says so instead of the fix trading one finding for RPL305's.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.edits import bound_by_leading_imports, imports_of, reference
from reprolint.semantic import determinism_ops
from reprolint.versions import TORCH_INDUCTOR_FOLLOWS_DETERMINISM, TORCH_WITHOUT_CUBLAS_CHECK, target_versions

CUBLAS_SETUP = 'os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")'


_LABELS = {"xformers": "xFormers", "compile": "`torch.compile`", "tf32": "TF32"}


def undoing_switches(model, settings) -> list:
    """What in the module would undo the setup (RPL305 would report it once the setup is there),
    named once each: xFormers, TF32, and ``torch.compile`` where the target torch is older than
    2.10."""
    compile_counts = not target_versions(settings.target_version, model.path).torch_at_least(
        TORCH_INDUCTOR_FOLLOWS_DETERMINISM)
    kinds = dict.fromkeys(switch.kind for switch in determinism_ops.undoing_switches(model)
                          if switch.kind != "compile" or compile_counts)
    return [_LABELS[kind] for kind in kinds]


def determinism_fix(model, settings, at=None) -> Optional[Fix]:
    """``at``: the node the finding reports (its statement must run after the setup). None where
    the module also uses what undoes the setup: the fix would only trade this finding for RPL305's,
    and which to give up is the author's call."""
    if undoing_switches(model, settings):
        return None
    imports = imports_of(model)
    torch_name, needed = reference(imports, "torch")
    torch_ref = cst.Module(body=[]).code_for_node(torch_name)
    statements = []
    if not target_versions(settings.target_version, model.path).torch_at_least(TORCH_WITHOUT_CUBLAS_CHECK):
        os_name, os_needed = reference(imports, "os")
        needed = tuple(needed) + tuple(os_needed)
        statements.append(CUBLAS_SETUP.replace("os.", cst.Module(body=[]).code_for_node(os_name) + ".", 1))
    statements += [f"{torch_ref}.use_deterministic_algorithms(True)",
                   f"{torch_ref}.backends.cudnn.deterministic = True",
                   f"{torch_ref}.backends.cudnn.benchmark = False"]
    what = "Switch deterministic algorithms and cuDNN's deterministic mode on"
    anchor = _anchor(model, at)
    message = what + (" at the start of the `__main__` block" if anchor is not None else " after the imports")
    if anchor is not None:
        return Fix(Applicability.UNSAFE, message, imports=tuple(needed),
                   statements_before=tuple((anchor, code) for code in statements))
    # A module that imports torch (or os) only below the import block, as a notebook may in a
    # later cell: the statements import it themselves.
    leading = bound_by_leading_imports(model.module)
    late = []
    for qualified in ("torch", "os"):
        local = next((n for n in imports.local_names_for(qualified) if any(
            code.startswith(f"{n}.") for code in statements)), None)
        if local is not None and local not in leading:
            late.append(f"import {qualified}" + (f" as {local}" if local != qualified else ""))
    return Fix(Applicability.UNSAFE, message, imports=tuple(needed),
               statements_after_imports=tuple(late + statements))


def _anchor(model, at):
    """The first statement of the ``__main__`` block, when the reported work runs from there
    (inside it, or in a function, which the block then calls)."""
    guard = model.main_guard
    if guard is None or not isinstance(guard.body, cst.IndentedBlock) or not guard.body.body:
        return None
    if at is not None and not model.encloses(guard, at):
        fact = model.call_fact(at) if isinstance(at, cst.Call) else None
        scope = fact.scope if fact is not None else None
        if scope == "<module>" or (scope is None and _at_top_level(model, at)):
            return None  # GPU work before the block runs: set up after the imports
    return guard.body.body[0]


def _at_top_level(model, node) -> bool:
    parents = model.syntax.parents
    while node in parents:
        node = parents[node]
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return False
    return True

