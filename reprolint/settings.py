"""The effective settings of one run: which rules, which helpers, which seed for fixes.

The command line builds these today; the configuration file (``[tool.reprolint]``) feeds the same
object, so the engine and the rules never care where a setting came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    select: tuple = ()  # selectors: codes, prefixes, kebab-case names, "ALL"; empty = defaults
    ignore: tuple = ()
    extend_select: tuple = ()
    determinism_helpers: tuple = ()  # qualified or bare names of the user's own helpers
    seeding_helpers: tuple = ()
    fix_seed: int = 0
    per_file_ignores: tuple = ()  # ((glob, (codes...)), ...)
    extra: dict = field(default_factory=dict, compare=False, hash=False)
