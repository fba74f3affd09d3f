"""Fingerprints that follow a finding when lines move, for the formats whose readers track
findings across commits: GitLab Code Quality (``fingerprint``) and SARIF (``partialFingerprints``,
which GitHub code scanning uses to keep an alert, and its dismissal, on the same finding).

A fingerprint hashes the file's path, the rule, the message with its line numbers taken out, and
the finding's rank among the file's findings that are otherwise equal. No position enters it, so
a finding keeps its fingerprint when code above it is added or removed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

# "(created at line 5)", "calls at lines 8, 12": positions inside a message.
_LINE_NUMBERS = re.compile(r"\b(lines?)\s+\d+(?:\s*(?:,|and)\s*\d+)*")


def _stable_message(message: str) -> str:
    return _LINE_NUMBERS.sub(r"\1 N", message)


def fingerprints(findings) -> dict:
    """``id(finding)`` -> a 16-digit hex fingerprint, for every finding of ``findings``."""
    seen: dict = {}
    result = {}
    for finding in sorted(findings, key=lambda f: f.sort_key):
        key = (PurePath(finding.path).as_posix(), finding.code, _stable_message(finding.message))
        rank = seen.get(key, 0)
        seen[key] = rank + 1
        digest = hashlib.sha256("\0".join([*key, str(rank)]).encode("utf-8")).hexdigest()
        result[id(finding)] = digest[:16]
    return result
