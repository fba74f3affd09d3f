"""Autofix: rules express fixes as libcst edits; this package applies, writes and diffs them.

``fix_source(source, path, settings, unsafe=True)`` returns a ``FixOutcome`` with ``.source``
(the fixed text), ``.applied`` (the findings fixed) and ``.remaining`` (what is left).
"""

from reprolint.fix.apply import FixOutcome, fix_source, is_applicable

__all__ = ["FixOutcome", "fix_source", "is_applicable"]
