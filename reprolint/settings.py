"""The effective settings of one run: which rules, which helpers, which seed for fixes.

The command line and the configuration file (``[tool.reprolint]``, see ``reprolint.config``) feed
the same object, so the engine and the rules never care where a setting came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Folders never linted unless ``exclude`` replaces this list (``extend-exclude`` adds to it).
# Patterns use .gitignore syntax: a bare name matches at any depth.
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", "__pycache__", "build", "dist", ".eggs", ".tox", ".nox",
    ".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".reprolint_cache",
    "node_modules", "site-packages", "__pypackages__", ".ipynb_checkpoints", "*.egg-info",
)
# Files linted when a folder is walked (.gitignore-style globs); Markdown is opt-in
# (``--extension md`` or ``extend-include = ["*.md"]``).
DEFAULT_INCLUDE = ("*.py", "*.pyi", "*.ipynb")


@dataclass(frozen=True)
class Settings:
    select: tuple = ()  # selectors: codes, prefixes, kebab-case names, "ALL"; empty = defaults
    ignore: tuple = ()
    extend_select: tuple = ()
    determinism_helpers: tuple = ()  # qualified or bare names of the user's own helpers
    seeding_helpers: tuple = ()
    fix_seed: int = 0
    fixable: tuple = ("ALL",)  # selectors of the rules whose fixes --fix applies and [*] marks
    unfixable: tuple = ()  # selectors of rules whose fixes are never offered (taken from ``fixable``)
    per_file_ignores: tuple = ()  # ((glob, (codes...)), ...), globs relative to project_root
    exclude: tuple = DEFAULT_EXCLUDE  # .gitignore-style patterns relative to project_root
    extend_exclude: tuple = ()
    include: tuple = DEFAULT_INCLUDE  # globs of the files found by walking folders
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply excludes to paths given explicitly too (pre-commit)
    verify_args: tuple = ()  # ((glob, (argument, ...)), ...): the scripts' arguments under --verify
    target_version: str = ""  # the torch version the code targets ("2.1"); "" = unknown
    project_root: str = ""  # the folder globs are relative to: the config file's, else the cwd
    config_path: str = ""  # the configuration file these settings came from, if any
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def all_excludes(self) -> tuple:
        return tuple(self.exclude) + tuple(self.extend_exclude)
