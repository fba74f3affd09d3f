"""Which files a run lints.

Folders are walked for the ``include`` patterns (``*.py``, ``*.pyi``, ``*.ipynb``; ``*.md`` when
opted in), skipping the ``exclude``/``extend-exclude`` patterns, virtual environments, and what
``.gitignore`` ignores. Paths given explicitly are always linted, unless ``force_exclude`` is set
(pre-commit passes every staged file explicitly, so only then do excludes reach them).

Patterns use .gitignore syntax (``pathspec``): a pattern without a slash (``build``,
``*.egg-info``) matches a name at any depth; one with a slash (``tests/fixtures/*.py``) is
anchored at the project root (the folder of the configuration file, else the working folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import pathspec

from reprolint.settings import DEFAULT_EXCLUDE, DEFAULT_INCLUDE, Settings

# Kept for callers that still ask for the folder names skipped by default.
SKIPPED_DIRS = frozenset(name for name in DEFAULT_EXCLUDE if "*" not in name)
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # paths given that do not exist
    excluded: list = field(default_factory=list)  # explicit paths dropped by force_exclude


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def display_path(path: str) -> str:
    """A path as the user should read it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") and os.path.isabs(path) else relative


def glob_spec(patterns) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def relative_to(path: str, root: str, is_dir: bool = False) -> str:
    """``path`` relative to ``root`` in the ``a/b/c`` form patterns match; a path outside the
    root keeps its full absolute form, which still matches unanchored patterns (``build``)."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root)
    if relative == os.curdir or relative.startswith(os.pardir):
        relative = absolute.lstrip(os.sep)
    relative = relative.replace(os.sep, "/")
    return relative + "/" if is_dir else relative


class Gitignore:
    """The ``.gitignore`` files (and ``.git/info/exclude``) that apply to a path, as git applies
    them: every file from the repository root down to the path's folder, a deeper file's match
    overriding a shallower one's, and the last matching pattern within a file winning."""

    def __init__(self) -> None:
        self._specs: dict = {}
        self._roots: dict = {}

    def _spec(self, folder: str, name: str = ".gitignore") -> Optional[pathspec.GitIgnoreSpec]:
        key = (folder, name)
        if key not in self._specs:
            try:
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                    self._specs[key] = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
            except OSError:
                self._specs[key] = None
        return self._specs[key]

    def repository_root(self, folder: str) -> Optional[str]:
        if folder not in self._roots:
            parent = os.path.dirname(folder)
            if os.path.exists(os.path.join(folder, ".git")):
                self._roots[folder] = folder
            elif parent == folder:
                self._roots[folder] = None
            else:
                self._roots[folder] = self.repository_root(parent)
        return self._roots[folder]

    def ignored(self, path: str, is_dir: bool) -> bool:
        absolute = os.path.abspath(path)
        folder = os.path.dirname(absolute)
        root = self.repository_root(folder)
        if root is None:
            return False  # git ignores .gitignore files outside a repository, and so do we
        chain = [folder]
        while chain[-1] != root:
            chain.append(os.path.dirname(chain[-1]))
        verdict = None
        specs = [(root, self._spec(os.path.join(root, ".git", "info"), "exclude"))]
        specs += [(each, self._spec(each)) for each in reversed(chain)]
        for base, spec in specs:
            if spec is None:
                continue
            result = spec.check_file(relative_to(absolute, base, is_dir))
            if result.include is not None:
                verdict = result.include
        return bool(verdict)


class FileSelector:
    """Decides, for one run's settings, which files are linted."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or Settings()
        self.root = os.path.abspath(self.settings.project_root or os.getcwd())
        self.exclude = glob_spec(self.settings.all_excludes)
        self.include = glob_spec(self.settings.include or DEFAULT_INCLUDE)
        self.gitignore = Gitignore() if self.settings.respect_gitignore else None

    def excluded(self, path: str, is_dir: bool) -> bool:
        if self.exclude.match_file(relative_to(path, self.root, is_dir)):
            return True
        if is_dir and _is_virtualenv(path):
            return True
        return self.gitignore is not None and self.gitignore.ignored(path, is_dir)

    def force_excluded(self, path: str) -> bool:
        """An explicit path is excluded when it, or any folder above it inside the project, is."""
        absolute = os.path.abspath(path)
        if self.excluded(absolute, os.path.isdir(absolute)):
            return True
        folder = os.path.dirname(absolute)
        while folder.startswith(self.root + os.sep) or folder == self.root:
            if folder != self.root and self.excluded(folder, True):
                return True
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        return False

    def included(self, path: str) -> bool:
        return bool(self.include.match_file(relative_to(path, self.root)))


def discover(paths, settings: Optional[Settings] = None, suffixes=None) -> Discovery:
    selector = FileSelector(settings)
    result = Discovery()
    seen = set()
    for given in paths:
        if os.path.isfile(given) or (os.path.lexists(given) and not os.path.isdir(given)):
            if selector.settings.force_exclude and selector.force_excluded(given):
                result.excluded.append(given)
                continue
            candidates = [given]
        elif os.path.isdir(given):
            if selector.settings.force_exclude and selector.force_excluded(given):
                result.excluded.append(given)
                continue
            candidates = _walk(given, selector, suffixes)
        else:
            result.missing.append(given)
            continue
        for candidate in candidates:
            key = os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                result.files.append(display_path(candidate))
    return result


def _walk(root: str, selector: FileSelector, suffixes=None) -> list:
    found = []
    visited = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited:  # a symlink loop
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not selector.excluded(os.path.join(folder, d), True))
        for name in sorted(files):
            path = os.path.join(folder, name)
            wanted = name.endswith(tuple(suffixes)) if suffixes else selector.included(path)
            if wanted and not selector.excluded(path, False):
                found.append(path)
    return sorted(found)


class PerFileIgnores:
    """``per-file-ignores``: glob -> rule selectors, globs matched as ``exclude`` patterns are."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        settings = settings or Settings()
        self.root = os.path.abspath(settings.project_root or os.getcwd())
        self.entries = []
        for pattern, selectors in settings.per_file_ignores:
            from reprolint.registry import expand_selector  # the registry imports every rule

            codes = frozenset(rule.code for s in selectors for rule in expand_selector(s))
            self.entries.append((glob_spec([pattern]), codes))
        self._cache: dict = {}

    def codes_for(self, path: str) -> frozenset:
        if not self.entries:
            return frozenset()
        if path not in self._cache:
            relative = relative_to(path, self.root)
            self._cache[path] = frozenset().union(
                *(codes for spec, codes in self.entries if spec.match_file(relative)))
        return self._cache[path]
