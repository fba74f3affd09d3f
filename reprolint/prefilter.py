"""The cheap first pass: decide from the text alone whether a file can produce a finding, so that
only files that can are parsed (libcst parses about 1 MB/s; this pass scans hundreds).

A file is parsed when at least one enabled rule passes both of its checks:

- ``Rule.triggers``: one of these substrings occurs in the file.
- ``Rule.requires_imports``: the file has an absolute ``import``/``from`` statement naming one of
  these packages. The semantic layer resolves names through import statements only
  (``reprolint.semantic.imports``), so a value it can only recognise by a qualified name under
  those packages (a diffusers pipeline, a ``torch.Generator`` it creates) cannot exist in a file
  that never imports them.

Both checks over-approximate (a match in a comment or a docstring still counts) and must never
under-approximate: the test suite lints every rule example, example script and test fixture with
the prefilter on and off and requires identical findings.
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=None)
def _import_pattern(package: str) -> "re.Pattern":
    name = re.escape(package)
    # A statement starts a line or follows ``;`` or a compound statement's ``:``
    # (``try: import x``). Python separates tokens only by spaces, tabs and form feeds.
    return re.compile(
        rf"(?:^|[;:])[ \t\f]*(?:from[ \t\f]+{name}\b|import[ \t\f][^\n]*\b{name}\b)",
        re.MULTILINE,
    )


def logical_text(source: str) -> str:
    """The source with every line ending as ``\\n`` and backslash continuations joined, so that
    one statement's ``import`` and its module name lie on one line for the patterns above."""
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    if "\\\n" in source:
        source = source.replace("\\\n", " ")
    return source


def imports_any(source: str, packages) -> bool:
    """True when ``source`` may import one of ``packages`` (or a submodule) absolutely."""
    candidates = [p for p in packages if p in source]
    if not candidates:
        return False
    text = logical_text(source)
    return any(_import_pattern(p).search(text) for p in candidates)


def rule_could_match(rule, source: str, import_memo: dict) -> bool:
    if not any(trigger in source for trigger in rule.triggers):
        return False
    packages = tuple(rule.requires_imports)
    if not packages:
        return True
    if packages not in import_memo:
        import_memo[packages] = imports_any(source, packages)
    return import_memo[packages]


def could_match(rules, source: str) -> bool:
    """Whether any of ``rules`` could report something in ``source``."""
    memo: dict = {}
    return any(rule_could_match(rule, source, memo) for rule in rules)
