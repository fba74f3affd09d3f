"""Autofix: rules express fixes as libcst edits; this package applies, writes and diffs them.

``fix_source(source, path, settings, unsafe=True)`` returns a ``FixOutcome`` with ``.source``
(the fixed text), ``.applied`` (the findings fixed) and ``.remaining`` (what is left).
"""

__all__ = ["FixOutcome", "fix_source", "is_applicable"]


def __getattr__(name: str):
    # fix.apply imports libcst; the command line imports this package to declare --fix, and
    # must not pay for libcst until a file is fixed.
    if name in __all__:
        from reprolint.fix import apply

        return getattr(apply, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
