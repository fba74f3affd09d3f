"""Which files a run lints: ``*.py`` under the given folders, skipping what is never source."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", "build", "dist", ".eggs", ".tox", ".nox",
    ".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".reprolint_cache",
    "node_modules", "site-packages", "__pypackages__", ".ipynb_checkpoints",
})
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # paths given that do not exist


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def display_path(path: str) -> str:
    """A path as the user should read it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") and os.path.isabs(path) else relative


def discover(paths, suffixes=PYTHON_SUFFIXES) -> Discovery:
    result = Discovery()
    seen = set()
    for given in paths:
        if os.path.isfile(given) or (os.path.lexists(given) and not os.path.isdir(given)):
            candidates = [given]
        elif os.path.isdir(given):
            candidates = _walk(given, suffixes)
        else:
            result.missing.append(given)
            continue
        for candidate in candidates:
            key = os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                result.files.append(display_path(candidate))
    return result


def _walk(root: str, suffixes) -> list:
    found = []
    visited = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited:  # a symlink loop
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIPPED_DIRS and not d.endswith(".egg-info")
            and not _is_virtualenv(os.path.join(folder, d))
        )
        for name in sorted(files):
            if name.endswith(suffixes):
                found.append(os.path.join(folder, name))
    return sorted(found)
