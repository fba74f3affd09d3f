"""Dependency files: ``requirements*.txt``, ``pyproject.toml`` and conda's ``environment.yml``.

They are text, not Python. Rules that lint them (``Rule.file_kinds`` holds ``"dependencies"``)
read a ``DependencyFile``: each requirement with the line and columns where it is written, so a
finding points at the requirement itself. Only runs that select such a rule discover these
files or read them this way; every other run never looks at them.

The parsers are deliberately small (no YAML or packaging dependency): they read the shapes these
files take in practice and skip what they do not understand, which then yields no finding.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from typing import Optional

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

# Basenames, as discovery's include globs (a name without a slash matches at any depth).
DEPENDENCY_FILE_PATTERNS = ("requirements*.txt", "pyproject.toml", "environment.yml", "environment.yaml")


def is_dependency_file(path: str) -> bool:
    name = os.path.basename(path)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in DEPENDENCY_FILE_PATTERNS)


@dataclass(frozen=True)
class Requirement:
    """One requirement as written: ``torch>=2.1`` on line 3, columns 1-11 (1-based, end exclusive)."""

    name: str  # normalised: lower case, ``_``/``.`` as ``-``
    specifier: str  # the version part as written: ``>=2.1``, ``==2.1.*``, ``^2.1``, ``=2.1`` (conda)
    line: int
    column: int
    end_column: int
    dialect: str  # "pip" (PEP 508), "poetry" or "conda"
    direct_reference: bool = False  # ``name @ https://...``: one exact artifact


@dataclass
class DependencyFile:
    path: str
    text: str
    kind: str  # "requirements", "pyproject", "conda"
    requirements: list = field(default_factory=list)

    @property
    def lines(self) -> list:
        return self.text.splitlines()


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_dependency_file(path: str, text: str) -> DependencyFile:
    name = os.path.basename(path)
    if name == "pyproject.toml":
        return DependencyFile(path, text, "pyproject", _pyproject_requirements(text))
    if name.startswith("environment."):
        return DependencyFile(path, text, "conda", _conda_requirements(text))
    return DependencyFile(path, text, "requirements", _requirements_txt(text))


# -- PEP 508 -------------------------------------------------------------------------------------
_PEP508 = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?P<rest>[^;]*)")


def _pep508(text: str, line: int, column: int, dialect: str = "pip") -> Optional[Requirement]:
    """``text`` (one requirement, starting at ``column``) parsed, or None when it is not one."""
    match = _PEP508.match(text)
    if match is None:
        return None
    rest = match.group("rest").strip()
    direct = rest.startswith("@")
    specifier = "" if direct else rest.strip("()").replace(" ", "")
    end = column + len(text.rstrip())
    return Requirement(normalise(match.group("name")), specifier, line, column, end, dialect, direct)


def _requirements_txt(text: str) -> list:
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        content = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].rstrip()
        stripped = content.lstrip()
        if not stripped or stripped.startswith("-") or stripped.endswith("\\") or "://" in stripped.split("@")[0]:
            continue  # options (-r, -e, --index-url), continued lines, bare URLs
        requirement = _pep508(stripped, number, len(content) - len(stripped) + 1)
        if requirement is not None:
            found.append(requirement)
    return found


# -- pyproject.toml ------------------------------------------------------------------------------
def _pyproject_requirements(text: str) -> list:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeError, ValueError):
        return []  # not ours to report: the file's own tools will
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    pep508: list = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        pep508.extend(group or [])
    for group in (data.get("dependency-groups") or {}).values():
        pep508.extend(item for item in group or [] if isinstance(item, str))
    locator = _Locator(text)
    found = []
    for entry in pep508:
        if not isinstance(entry, str):
            continue
        at = locator.string(entry)
        if at is not None:
            requirement = _pep508(entry.strip(), at[0], at[1])
            if requirement is not None:
                found.append(requirement)
    poetry = ((data.get("tool") or {}).get("poetry") or {})
    tables = [poetry.get("dependencies") or {}]
    tables += [(group or {}).get("dependencies") or {} for group in (poetry.get("group") or {}).values()]
    for table in tables:
        for name, value in table.items():
            version = value.get("version", "") if isinstance(value, dict) else value
            if isinstance(value, dict) and ({"git", "path", "url"} & value.keys()):
                version = "@"
            if not isinstance(version, str):
                continue
            at = locator.key(name)
            if at is not None:
                found.append(Requirement(normalise(name), version.replace(" ", ""), at[0], at[1], at[2],
                                         "poetry", version == "@"))
    return found


class _Locator:
    """Where a TOML string or key is written (tomllib gives values, not positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.used: set = set()

    def string(self, value: str) -> Optional[tuple]:
        for quote in ('"', "'"):
            needle = f"{quote}{value}{quote}"
            for number, line in enumerate(self.lines, start=1):
                column = line.find(needle)
                if column >= 0 and (number, column) not in self.used and not line.lstrip().startswith("#"):
                    self.used.add((number, column))
                    return number, column + 2
        return None

    def key(self, name: str) -> Optional[tuple]:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line) and (number, 0) not in self.used:
                self.used.add((number, 0))
                start = len(line) - len(line.lstrip()) + 1
                return number, start, len(line.split("#")[0].rstrip()) + 1
        return None


# -- environment.yml -----------------------------------------------------------------------------
_ITEM = re.compile(r"^(?P<indent>\s*)-\s+(?P<item>.*?)\s*(?:#.*)?$")
_CONDA = re.compile(r"^(?:[\w.-]+::)?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<spec>.*)$")


def _conda_requirements(text: str) -> list:
    """The ``dependencies:`` list of a conda environment file, with its ``- pip:`` sub-list read
    as pip requirements."""
    found = []
    in_dependencies = False
    pip_indent: Optional[int] = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() and not line.startswith("-"):
            in_dependencies = line.split("#")[0].strip() == "dependencies:"
            pip_indent = None
            continue
        match = _ITEM.match(line)
        if not in_dependencies or match is None:
            continue
        indent = len(match.group("indent"))
        item = match.group("item").strip().strip("\"'")
        column = line.index(item) + 1 if item in line else indent + 3
        if pip_indent is not None and indent <= pip_indent:
            pip_indent = None
        if item.rstrip(":") == "pip" and item.endswith(":"):
            pip_indent = indent
            continue
        if pip_indent is not None:
            requirement = _pep508(item, number, column)
        else:
            conda = _CONDA.match(item)
            requirement = None if conda is None else Requirement(
                normalise(conda.group("name")), conda.group("spec").replace(" ", ""), number, column,
                column + len(item), "conda")
        if requirement is not None:
            found.append(requirement)
    return found


# -- what a specifier pins -----------------------------------------------------------------------
def pins_a_release_line(requirement: Requirement) -> bool:
    """Whether the requirement keeps the package within known releases: an exact pin
    (``==2.1.0``, ``===``, conda ``=2.1``/``2.1.0``, a bare poetry version, a direct URL) or an
    upper bound (``<2.2``, ``<=``, ``~=2.1``, ``==2.1.*``, poetry ``^2.1``/``~2.1``)."""
    if requirement.direct_reference:
        return True
    spec = requirement.specifier
    if not spec or spec == "*":
        return False
    if requirement.dialect == "poetry":
        if spec[0] in "^~" or spec[0].isdigit():
            return True
    if requirement.dialect == "conda":
        # ``pytorch=2.1`` (a prefix), ``pytorch 2.1.0 <build>``, ``pytorch==2.1.0``.
        if re.match(r"^=?\d", spec) or (spec.startswith("=") and not spec.startswith("==")):
            return True
    for clause in spec.split(","):
        # ``==2.1.0`` and ``==2.1.*`` both bound it; ``>=``, ``>`` and ``!=`` do not.
        if clause.strip().startswith(("==", "~=", "<")):
            return True
    return False


# -- does the project record reference outputs? ------------------------------------------------
_REFERENCE_CODE = re.compile(
    r"\bexpected_(?:slice|slices|image|images|output|outputs|latents|audio|video|frames)\b")
_REFERENCE_FILE_WORDS = ("expected", "reference", "golden")
_REFERENCE_FILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy", ".npz", ".pt", ".safetensors")
_PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
_SKIPPED = frozenset({".git", ".hg", ".svn", "__pycache__", "build", "dist", ".tox", ".nox", ".venv", "venv",
                      "node_modules", "site-packages", ".reprolint_cache", ".mypy_cache", ".pytest_cache"})
MAX_SCANNED_FILES = 20_000
MAX_SCANNED_BYTES = 1_000_000


def nearest_folder_with(folder: str, markers) -> Optional[str]:
    """The nearest folder at or above ``folder`` holding one of ``markers``, or None."""
    probe = folder
    while True:
        if any(os.path.exists(os.path.join(probe, marker)) for marker in markers):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def project_root(path: str) -> str:
    """The folder of the project a dependency file belongs to: the nearest folder at or above it
    with a ``.git``, ``pyproject.toml``, ``setup.py`` or ``setup.cfg``, else the file's folder."""
    folder = os.path.dirname(os.path.abspath(path))
    return nearest_folder_with(folder, _PROJECT_MARKERS) or folder


def reference_outputs(root: str, memo: dict) -> Optional[str]:
    """Where the project under ``root`` records reference outputs, for a message: a Python file
    with ``expected_slice``-style values (diffusers' tests) or a saved file named like
    ``expected_*.png`` / ``reference/*.npy``; None when there is none. ``memo``: answers already
    found in this run, by root."""
    if root not in memo:
        memo[root] = _scan_for_references(root)
    return memo[root]


def _scan_for_references(root: str) -> Optional[str]:
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED and not d.endswith(".egg-info")
                         and not os.path.isfile(os.path.join(folder, d, "pyvenv.cfg")))
        for name in sorted(files):
            seen += 1
            if seen > MAX_SCANNED_FILES:
                return None
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            lowered = relative.lower()
            if lowered.endswith(_REFERENCE_FILE_SUFFIXES) and any(w in lowered for w in _REFERENCE_FILE_WORDS):
                return f"`{relative}` is a saved reference output"
            if name.endswith(".py"):
                try:
                    if os.path.getsize(path) > MAX_SCANNED_BYTES:
                        continue
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        match = _REFERENCE_CODE.search(handle.read())
                except OSError:
                    continue
                if match:
                    return f"`{relative}` records reference outputs (`{match.group(0)}`)"
    return None
