"""Which torch, diffusers, Lightning and accelerate releases the linted code targets.

Some advice depends on the release: torch 2.10 dropped the ``CUBLAS_WORKSPACE_CONFIG`` check of
deterministic mode (RPL302) and made ``use_deterministic_algorithms`` switch Inductor's
deterministic mode on (RPL305); Lightning 2.0 stopped calling
``use_deterministic_algorithms(False)`` when a ``Trainer`` leaves ``deterministic`` unset (RPL203);
what accelerate offers to resume a run (``load_state``, ``skip_first_batches``, the seedable
sampler) grew release by release (RPL204).

The versions come, in this order, from ``[tool.reprolint] target-version`` (``"2.4"`` for torch,
``"torch>=2.4"``-style requirements, or a table), from the project's own pins
(``requirements*.txt``, ``pyproject.toml`` dependencies, ``environment.yml``: the lowest version a
specifier allows), and absent both from the newest release (``NEWEST``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

from reprolint.dependencies import normalise, project_root, read_dependency_file

PACKAGES = ("torch", "diffusers", "lightning", "accelerate")
# The newest releases reprolint's advice was checked against; a project that pins nothing runs
# whatever is installed, which for new projects is these.
NEWEST = {"torch": (2, 15), "diffusers": (0, 42), "lightning": (2, 6), "accelerate": (1, 14)}
# Names a requirement may give each package under (conda's ``pytorch``, the old Lightning name).
_ALIASES = {"torch": "torch", "pytorch": "torch", "diffusers": "diffusers", "lightning": "lightning",
            "pytorch-lightning": "lightning", "accelerate": "accelerate"}

# First releases of the changes the rules follow (found in the released sources, see
# docs/configuration.md "target-version").
TORCH_WITHOUT_CUBLAS_CHECK = (2, 10)  # pytorch#161749
TORCH_INDUCTOR_FOLLOWS_DETERMINISM = (2, 10)  # pytorch#165950
LIGHTNING_KEEPS_UNSET_DETERMINISM = (2, 0)  # _set_torch_flags: "do not call this if deterministic wasn't passed"
# accelerate, read off its release tags: `Accelerator.load_state` (which restores the random
# states `save_state` saved) first in 0.6.0; `skip_first_batches` in 0.16.0; the
# `use_seedable_sampler` argument of `Accelerator` in 0.26.0, effective once `prepare` keeps the
# seedable sampler (#2434, 0.27.2), and moved to `DataLoaderConfiguration` in 0.28.0.
ACCELERATE_LOAD_STATE = (0, 6)
ACCELERATE_SKIP_FIRST_BATCHES = (0, 16)
ACCELERATE_SEEDABLE_SAMPLER = (0, 26)
ACCELERATE_SEEDABLE_SAMPLER_WORKS = (0, 27, 2)
ACCELERATE_DATALOADER_CONFIGURATION = (0, 28)

_VERSION = re.compile(r"^\d+(?:\.\d+){0,3}")
_CLAUSE = re.compile(r"^(===|==|~=|>=|<=|!=|>|<|\^|~|=)?\s*v?(\d+(?:\.\d+){0,3})")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9._-]*)\s*(.*)$")


def version_tuple(text: str) -> Optional[tuple]:
    match = _VERSION.match(text.strip().lstrip("v"))
    return tuple(int(part) for part in match.group(0).split(".")) if match else None


def lowest_allowed(specifier: str) -> Optional[tuple]:
    """The lowest version a specifier allows (``>=2.4,<3`` -> (2, 4); ``==2.1.*`` -> (2, 1);
    ``^2.1``/``~=2.1``/conda ``=2.1`` -> (2, 1); only an upper bound, ``<2.0`` -> (0,), any old
    release), or None when it says nothing (``torch`` alone: whatever is newest)."""
    lowest = None
    bounded = False
    for clause in specifier.replace(" ", "").split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            continue
        operator, version = match.group(1) or "==", version_tuple(match.group(2))
        if operator in ("<", "<="):
            bounded = True
        if operator in ("<", "<=", "!="):
            continue
        if lowest is None or version > lowest:
            lowest = version
    return (0,) if lowest is None and bounded else lowest


def parse_target(text: str) -> dict:
    """``[tool.reprolint] target-version`` as validated (``reprolint.config``): comma-separated
    requirements, a bare version meaning torch. Package -> lowest version; unknown names skipped."""
    found = {}
    last = None
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if item[0] in "<>=!~" and last is not None:  # ``torch>=2.4,<3``: a clause of the last one
            version = lowest_allowed(item)
            if version and version > found.get(last, ()):
                found[last] = version
            continue
        if item[0].isdigit():
            version = version_tuple(item)
            if version:
                found["torch"] = version
            continue
        match = _REQUIREMENT.match(item)
        package = _ALIASES.get(normalise(match.group(1))) if match else None
        version = lowest_allowed(match.group(2)) if package else None
        if version:
            found[package] = version
        last = package
    return found


@dataclass(frozen=True)
class TargetVersions:
    torch: tuple
    diffusers: tuple
    lightning: tuple
    source: dict  # package -> where its version came from ("target-version", a file, "newest")
    accelerate: tuple = NEWEST["accelerate"]

    def torch_at_least(self, version: tuple) -> bool:
        return self.torch >= version

    def lightning_at_least(self, version: tuple) -> bool:
        return self.lightning >= version


def _dependency_files(root: str) -> list:
    """The dependency files at the project's root and in its ``requirements/`` folder."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    found = [os.path.join(root, name) for name in names
             if re.fullmatch(r"requirements.*\.txt", name) or name in ("pyproject.toml", "environment.yml",
                                                                       "environment.yaml")]
    folder = os.path.join(root, "requirements")
    if "requirements" in names and os.path.isdir(folder):
        found += [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".txt")]
    return found


def project_pins(root: str, candidates: Optional[list] = None) -> dict:
    """Package -> (lowest allowed version, the file saying so) from the dependency files at the
    project's root (and a ``requirements/`` folder); the lowest over files wins."""
    if candidates is None:
        candidates = _dependency_files(root)
    pins: dict = {}
    for path in candidates:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                document = read_dependency_file(path, handle.read())
        except OSError:
            continue
        for requirement in document.requirements:
            package = _ALIASES.get(requirement.name)
            version = lowest_allowed(requirement.specifier) if package else None
            if version and (package not in pins or version < pins[package][0]):
                pins[package] = (version, os.path.relpath(path, root))
    return pins


_PINS_BY_ROOT: dict = {}  # root -> (the files' stamp, pins): read again when a file changes


def _pins_for(path: str) -> dict:
    root = project_root(path)
    candidates = _dependency_files(root)
    stamp = []
    for candidate in candidates:
        try:
            info = os.stat(candidate)
        except OSError:
            continue
        stamp.append((candidate, info.st_size, info.st_mtime_ns))
    cached = _PINS_BY_ROOT.get(root)
    if cached is None or cached[0] != stamp:
        cached = _PINS_BY_ROOT[root] = (stamp, project_pins(root, candidates))
    return cached[1]


def target_versions(target_version: str, path: str) -> TargetVersions:
    """The versions code at ``path`` targets (see the module docstring). The pins are read again
    only when a dependency file at the project's root changes."""
    chosen = parse_target(target_version or "")
    pins = _pins_for(path) if len(chosen) < len(PACKAGES) and path and path != "-" else {}
    versions, source = {}, {}
    for package in PACKAGES:
        if package in chosen:
            versions[package], source[package] = chosen[package], "target-version"
        elif package in pins:
            versions[package], source[package] = pins[package]
        else:
            versions[package], source[package] = NEWEST[package], "newest"
    return TargetVersions(versions["torch"], versions["diffusers"], versions["lightning"], source,
                          versions["accelerate"])


def shown(version: tuple) -> str:
    return ".".join(str(part) for part in version)
