from __future__ import annotations

from reprolint.rules.base import Example, Rule


class UnusedNoqa(Rule):
    """
    ## What it does
    Flags `# noqa` and `# reprolint: noqa` directives whose reprolint codes suppress nothing:
    codes of rules that report nothing on that line (unused), of rules not enabled in this run
    (non-enabled), or `RPL` codes that name no rule (unknown). A file-level bare
    `# reprolint: noqa` that suppresses nothing is flagged too. Off by default; modelled on
    ruff's `RUF100`.

    A bare line `# noqa` and codes of other linters (`E501`) are never flagged: they may be
    there for flake8 or ruff.

    ## Why is this bad?
    A stale suppression hides the next real finding on that line: once the code is fixed, the
    comment silently keeps the rule switched off for whatever is written there later.

    ## Example
    ```python
    generator = torch.Generator("cpu").manual_seed(0)  # noqa: RPL107
    ```

    ## Use instead
    ```python
    generator = torch.Generator("cpu").manual_seed(0)
    ```

    ## Fix safety
    No automatic fix yet: delete the code (or the whole comment) by hand.

    ## Evidence
    - ruff's `unused-noqa` (`RUF100`), which this rule follows.
    """

    code = "RPL900"
    name = "unused-noqa"
    summary = "noqa directive that suppresses nothing"
    default = False
    triggers = ("noqa", "NOQA")

    VALID = [
        Example("""
            x = 1  # noqa: E501
            y = 2  # noqa
            """, note="other linters' codes and a bare line noqa are left alone"),
        Example("""
            z = 3  # noqa: RPL107, unused-noqa
            """, note="a directive naming this rule itself is exempt, as ruff exempts RUF100"),
    ]
    INVALID = [
        Example("""
            x = 1  # noqa: RPL107
            """, expect=[(1, 8)]),
        Example("""
            # reprolint: noqa
            x = 1
            """, expect=[(1, 1)]),
    ]

    def check(self, model):
        # The engine reports unused directives itself, after every other rule has run and
        # suppression has been applied (reprolint.noqa.unused_directives).
        return iter(())
