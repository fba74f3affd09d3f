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
import stat
from dataclasses import dataclass, field
from typing import Optional

import pathspec

from reprolint.registry import expand_selector
from reprolint.settings import DEFAULT_EXCLUDE, DEFAULT_INCLUDE, Settings

# Kept for callers that still ask for the folder names skipped by default.
SKIPPED_DIRS = frozenset(name for name in DEFAULT_EXCLUDE if "*" not in name)
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # paths given that do not exist
    excluded: list = field(default_factory=list)  # explicit paths dropped by force_exclude
    # (path, reason): a folder that could not be listed, a path given that could not be looked at.
    unreadable: list = field(default_factory=list)

    def error_reports(self) -> list:
        """One FileReport per path the run could not get at: each is an error (exit 2)."""
        from reprolint.findings import FileError, FileReport

        problems = [(path, "no such file or directory") for path in self.missing] + self.unreadable
        return [FileReport(path, errors=[FileError(path, reason)]) for path, reason in problems]


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
        self._chains: dict = {}

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

    def specs_for(self, folder: str, floor: Optional[str] = None) -> tuple:
        """(spec, prefix) pairs for the files of ``folder`` (absolute), shallowest first, where
        ``prefix + name`` is a file's path relative to that spec's folder. ``floor``: only
        .gitignore files in this folder or below apply (a walk that started in an ignored
        folder the user named)."""
        key = (folder, floor)
        if key in self._chains:
            return self._chains[key]
        root = self.repository_root(folder)
        specs = []
        if root is not None:  # git ignores .gitignore files outside a repository, and so do we
            top = floor or root
            chain = [folder]
            while chain[-1] not in (root, top) and os.path.dirname(chain[-1]) != chain[-1]:
                chain.append(os.path.dirname(chain[-1]))
            if floor is None:
                chain.append(os.path.join(root, ".git", "info"))  # .git/info/exclude, shallowest
            for each in reversed(chain):
                is_info = each.endswith(os.path.join(".git", "info"))
                spec = self._spec(each, "exclude") if is_info else self._spec(each)
                if spec is not None:
                    specs.append((spec, folder_prefix(folder, root if is_info else each)))
        self._chains[key] = tuple(specs)
        return self._chains[key]

    @staticmethod
    def ignored_by(specs: tuple, name: str, is_dir: bool) -> bool:
        verdict = None
        suffix = "/" if is_dir else ""
        for spec, prefix in specs:
            result = spec.check_file(prefix + name + suffix)
            if result.include is not None:
                verdict = result.include
        return bool(verdict)

    def ignored(self, path: str, is_dir: bool, floor: Optional[str] = None) -> bool:
        folder, name = os.path.split(os.path.abspath(path))
        return self.ignored_by(self.specs_for(folder, floor), name, is_dir)


def folder_prefix(folder: str, base: str) -> str:
    """What to put before a file name of ``folder`` to get its path relative to ``base``
    ("" in ``base`` itself, "a/b/" below it, the absolute path when outside it)."""
    relative = os.path.relpath(folder, base)
    if relative == os.curdir:
        return ""
    if relative.startswith(os.pardir):
        relative = folder.lstrip(os.sep)
    return relative.replace(os.sep, "/") + "/"


class FileSelector:
    """Decides, for one run's settings, which files are linted."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or Settings()
        self.root = os.path.abspath(self.settings.project_root or os.getcwd())
        self.exclude = glob_spec(self.settings.all_excludes)
        self.include = glob_spec(self.settings.include or DEFAULT_INCLUDE)
        self.gitignore = Gitignore() if self.settings.respect_gitignore else None
        self._contexts: dict = {}

    def excluded(self, path: str, is_dir: bool, base: Optional[str] = None) -> bool:
        """Whether ``path`` (or a folder above it) is excluded or ignored.

        ``base``: the folder a walk started from when that folder is itself excluded; the user
        named it, so its files are wanted (``reprolint build/``, or a package installed in
        ``site-packages``). Patterns are then matched below it only."""
        folder, name = os.path.split(os.path.abspath(path))
        return self.excluded_name(folder, name, is_dir, os.path.abspath(base) if base else None)

    def excluded_name(self, folder: str, name: str, is_dir: bool, base: Optional[str] = None) -> bool:
        """``excluded`` for the entry ``name`` of the absolute ``folder``; per-folder work is
        cached, since a walk asks about every entry of every folder."""
        if is_dir and _is_virtualenv(os.path.join(folder, name)):
            return True
        prefix, git_specs = self._folder_context(folder, base)
        if self.exclude.match_file(prefix + name + ("/" if is_dir else "")):
            return True
        return bool(git_specs) and Gitignore.ignored_by(git_specs, name, is_dir)

    def _folder_context(self, folder: str, base: Optional[str]) -> tuple:
        key = (folder, base)
        if key not in self._contexts:
            specs = self.gitignore.specs_for(folder, base) if self.gitignore is not None else ()
            self._contexts[key] = (folder_prefix(folder, base or self.root), specs)
        return self._contexts[key]

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
        folder, name = os.path.split(os.path.abspath(path))
        return self.included_name(folder, name)

    def included_name(self, folder: str, name: str) -> bool:
        return bool(self.include.match_file(self._folder_context(folder, None)[0] + name))


def _kind_of_path(given: str) -> str:
    """``"dir"``, ``"file"`` (a dangling or looping symlink too: reading it says why),
    ``"missing"``, or why the path cannot be looked at (a folder above it is unreadable)."""
    try:
        return "dir" if stat.S_ISDIR(os.stat(given).st_mode) else "file"
    except (FileNotFoundError, NotADirectoryError):
        return "file" if os.path.lexists(given) else "missing"
    except OSError as exc:
        if isinstance(exc, PermissionError) or not os.path.lexists(given):
            return f"could not read: {exc.strerror or exc}"
        return "file"


def discover(paths, settings: Optional[Settings] = None, suffixes=None) -> Discovery:
    selector = FileSelector(settings)
    result = Discovery()
    seen = set()
    for given in paths:
        kind = _kind_of_path(given)
        if kind not in ("dir", "file", "missing"):
            result.unreadable.append((given, kind))
            continue
        if kind == "file":
            if selector.settings.force_exclude and selector.force_excluded(given):
                result.excluded.append(given)
                continue
            candidates = [given]
        elif kind == "dir":
            if selector.settings.force_exclude and selector.force_excluded(given):
                result.excluded.append(given)
                continue
            base = given if selector.excluded(given, True) else None
            candidates = _walk(given, selector, suffixes, base, result.unreadable)
        else:
            result.missing.append(given)
            continue
        for candidate in candidates:
            key = os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                result.files.append(display_path(candidate))
    return result


def _special_file(path: str) -> bool:
    """A FIFO, socket or device: not source code, and opening one can block. A dangling
    symlink is not special: reading it reports the error."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _walk(root: str, selector: FileSelector, suffixes=None, base: Optional[str] = None,
          unreadable: Optional[list] = None) -> list:
    found = []
    visited = set()
    base = os.path.abspath(base) if base else None

    def folder_error(exc: OSError) -> None:  # a folder that cannot be listed is an error, not skipped
        if unreadable is not None:
            unreadable.append((display_path(exc.filename or root), f"could not read folder: {exc.strerror or exc}"))

    for folder, dirs, files in os.walk(root, followlinks=True, onerror=folder_error):
        real = os.path.realpath(folder)
        if real in visited:  # a symlink loop
            dirs[:] = []
            continue
        visited.add(real)
        absolute = os.path.abspath(folder)
        dirs[:] = sorted(d for d in dirs if not selector.excluded_name(absolute, d, True, base))
        for name in sorted(files):
            wanted = name.endswith(tuple(suffixes)) if suffixes else selector.included_name(absolute, name)
            if wanted and not selector.excluded_name(absolute, name, False, base):
                path = os.path.join(folder, name)
                if _special_file(path):
                    continue  # reading a FIFO named x.py would wait forever for a writer
                found.append(path)
    return sorted(found)


class PerFileIgnores:
    """``per-file-ignores``: glob -> rule selectors, globs matched as ``exclude`` patterns are."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        settings = settings or Settings()
        self.root = os.path.abspath(settings.project_root or os.getcwd())
        self.entries = []
        for pattern, selectors in settings.per_file_ignores:
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
