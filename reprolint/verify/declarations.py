"""Which findings ``--verify`` checks, and how: the ``verification`` their rule declares
(``reprolint.rules.verification``). The one place verify looks a rule up."""

from __future__ import annotations

from typing import Iterable, Optional

from reprolint.rules import RULES_BY_CODE
from reprolint.rules.verification import Verification


def verification_of(finding) -> Optional[Verification]:
    """The declaration of the finding's rule; None for a rule a pair of runs cannot check."""
    rule = RULES_BY_CODE.get(finding.code)
    return rule.verification if rule is not None else None


def verifiable(findings: Iterable) -> list:
    return [finding for finding in findings if verification_of(finding) is not None]
