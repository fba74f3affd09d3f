"""``# noqa`` comments: on the reported line, or for the whole file (``# reprolint: noqa``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ``# noqa``, ``# noqa: RPL101``, ``# noqa: RPL101,RPL102``, ``# noqa: generator-reused``
LINE_NOQA = re.compile(
    r"#\s*noqa(?!\w)(?:\s*:\s*(?P<codes>[A-Za-z][\w-]*(?:\s*,\s*[A-Za-z][\w-]*)*))?",
    re.IGNORECASE,
)
FILE_NOQA = re.compile(
    r"^\s*#\s*reprolint\s*:\s*noqa(?!\w)(?:\s*:\s*(?P<codes>[A-Za-z][\w-]*(?:\s*,\s*[A-Za-z][\w-]*)*))?\s*$",
    re.IGNORECASE,
)
FILE_NOQA_LINES = 10


def _codes(text):
    if text is None:
        return None  # a bare noqa: every code
    return frozenset(c.strip() for c in text.split(",") if c.strip())


def _matches(codes, code: str, name: str) -> bool:
    return codes is None or code in codes or name in codes or code.upper() in {c.upper() for c in codes}


@dataclass
class NoqaIndex:
    lines: dict = field(default_factory=dict)  # line number -> frozenset | None
    file_codes: list = field(default_factory=list)  # None means every code

    @classmethod
    def from_source(cls, source: str) -> "NoqaIndex":
        index = cls()
        if "noqa" not in source and "NOQA" not in source:
            return index
        for number, line in enumerate(source.splitlines(), start=1):
            if "#" not in line:
                continue
            if number <= FILE_NOQA_LINES:
                whole = FILE_NOQA.match(line)
                if whole:
                    index.file_codes.append(_codes(whole.group("codes")))
                    continue
            match = LINE_NOQA.search(line)
            if match:
                index.lines[number] = _codes(match.group("codes"))
        return index

    def suppresses(self, line: int, code: str, name: str) -> bool:
        for codes in self.file_codes:
            if _matches(codes, code, name):
                return True
        if line in self.lines:
            return _matches(self.lines[line], code, name)
        return False
