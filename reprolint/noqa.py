"""``# noqa`` comments: on the reported line, or for the whole file (``# reprolint: noqa``).

Every directive remembers which of its codes suppressed a finding, so the opt-in ``unused-noqa``
check (RPL900, modelled on ruff's RUF100) can report the codes that suppressed nothing.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Optional

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
# Codes that are reprolint's to judge; others (``E501``) belong to other linters.
OWN_CODE = re.compile(r"^RPL\d+$", re.IGNORECASE)


def _codes(text):
    if text is None:
        return None  # a bare noqa: every code
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _matching(codes, code: str, name: str) -> list:
    """The entries of ``codes`` that name this finding's rule (by code or by name)."""
    return [entry for entry in codes if entry.upper() == code.upper() or entry == name]


@dataclass
class Directive:
    line: int
    column: int  # 1-based column of the ``#``
    codes: Optional[tuple]  # None: a bare directive (every code)
    file_level: bool
    used: set = field(default_factory=set)  # entries of ``codes`` that suppressed a finding
    used_bare: bool = False

    def suppress(self, code: str, name: str) -> bool:
        if self.codes is None:
            self.used_bare = True
            return True
        matched = _matching(self.codes, code, name)
        self.used.update(matched)
        return bool(matched)


@dataclass
class NoqaIndex:
    lines: dict = field(default_factory=dict)  # line number -> Directive
    file_directives: list = field(default_factory=list)

    @property
    def file_codes(self) -> list:
        """Codes of each file-level directive (None means every code)."""
        return [directive.codes for directive in self.file_directives]

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
                    index.file_directives.append(
                        Directive(number, line.index("#") + 1, _codes(whole.group("codes")), True))
                    continue
            match = LINE_NOQA.search(line)
            if match:
                index.lines[number] = Directive(number, match.start() + 1, _codes(match.group("codes")), False)
        if index.file_directives or index.lines:
            index._keep_comments_only(source)
        return index

    def _keep_comments_only(self, source: str) -> None:
        """Drop "directives" that are really inside strings (``s = "# noqa"``), as ruff does by
        looking at comment tokens. Only files that mention noqa pay for tokenizing."""
        comments = _comment_spans(source)
        if comments is None:
            return  # does not tokenize: the file is reported as unparsable anyway

        def in_comment(directive: Directive) -> bool:
            return any(start <= directive.column - 1 < end for start, end in comments.get(directive.line, ()))

        self.file_directives = [d for d in self.file_directives if in_comment(d)]
        self.lines = {line: d for line, d in self.lines.items() if in_comment(d)}

    def suppresses(self, line: int, code: str, name: str) -> bool:
        # Every matching directive is marked used, so none of them is reported as unused.
        suppressed = False
        for directive in self.file_directives:
            suppressed = directive.suppress(code, name) or suppressed
        if line in self.lines:
            suppressed = self.lines[line].suppress(code, name) or suppressed
        return suppressed

    def directives(self) -> list:
        return self.file_directives + [self.lines[line] for line in sorted(self.lines)]


def _comment_spans(source: str):
    """line -> [(start column, end column)] of its comment tokens (0-based), or None."""
    spans: dict = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                spans.setdefault(token.start[0], []).append((token.start[1], token.end[1]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return spans


@dataclass(frozen=True)
class UnusedDirective:
    directive: Directive
    unused: tuple = ()  # codes of enabled rules that suppressed nothing here
    disabled: tuple = ()  # codes of rules not enabled in this run
    unknown: tuple = ()  # RPL codes that name no rule
    bare: bool = False  # a bare ``# reprolint: noqa`` that suppressed nothing

    def describe(self) -> str:
        kind = "file-level `# reprolint: noqa`" if self.directive.file_level else "`noqa`"
        if self.bare:
            return f"unused {kind} directive: it suppresses nothing in this file"
        parts = []
        for label, codes in (("unused", self.unused), ("non-enabled", self.disabled), ("unknown", self.unknown)):
            if codes:
                parts.append(f"{label}: {', '.join(f'`{c}`' for c in codes)}")
        return f"unused {kind} directive ({'; '.join(parts)})"


def unused_directives(index: NoqaIndex, enabled: dict, known: dict, own_names: tuple) -> list:
    """Directives (or their codes) that suppressed nothing.

    ``enabled``/``known``: code -> name of the rules enabled in this run / of every rule.
    A bare line ``# noqa`` is never reported: it may be there for another linter. Codes that are
    not reprolint's (``E501``) are left alone for the same reason. A directive that names one of
    ``own_names`` (the unused-noqa rule itself) is exempt, as ruff exempts ``# noqa: RUF100``.
    """
    known_names = {name: code for code, name in known.items()}
    found = []
    for directive in index.directives():
        if directive.codes is None:
            if directive.file_level and not directive.used_bare:
                found.append(UnusedDirective(directive, bare=True))
            continue
        if any(c.upper() in own_names or c in own_names for c in directive.codes):
            continue
        unused, disabled, unknown = [], [], []
        for entry in directive.codes:
            if entry in directive.used:
                continue
            code = entry.upper() if OWN_CODE.match(entry) else known_names.get(entry)
            if code is None:
                continue  # another linter's code
            if code not in known:
                unknown.append(entry)
            elif code not in enabled:
                disabled.append(entry)
            else:
                unused.append(entry)
        if unused or disabled or unknown:
            found.append(UnusedDirective(directive, tuple(unused), tuple(disabled), tuple(unknown)))
    return found


# -- adding directives (``--add-noqa``) ---------------------------------------------------------
def _lines_ending_in_strings(source: str):
    """Line numbers whose end lies inside a string token (a triple-quoted string going on), where
    a comment cannot go; None if the source does not tokenize."""
    blocked = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.end[0] > token.start[0] and token.type != tokenize.NL and token.type != tokenize.NEWLINE:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return blocked


def with_noqa(line: str, codes) -> str:
    """``line`` (its line ending kept) with ``# noqa: CODES`` at its end, or ``codes`` added to the
    line's own ``# noqa: ...`` (which may name another linter's codes too)."""
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    existing = LINE_NOQA.search(body)
    if existing is not None and existing.group("codes") is not None:
        present = {code.upper() for code in _codes(existing.group("codes"))}
        new = [code for code in codes if code.upper() not in present]
        if not new:
            return line
        insert_at = existing.end("codes")
        return body[:insert_at] + ", " + ", ".join(new) + body[insert_at:] + ending
    return body.rstrip() + f"  # noqa: {', '.join(codes)}" + ending


def add_noqa_directives(source: str, codes_by_line: dict) -> tuple:
    """``source`` with ``# noqa: CODES`` on each line of ``codes_by_line`` (line -> codes), and the
    lines that could not take one (their end is inside a string, or continues with ``\\``), as
    ``(new source, lines changed, lines refused)``."""
    blocked = _lines_ending_in_strings(source)
    if blocked is None:
        return source, [], sorted(codes_by_line)
    lines = source.splitlines(keepends=True)
    changed, refused = [], []
    for number in sorted(codes_by_line):
        if not 1 <= number <= len(lines) or number in blocked or lines[number - 1].rstrip().endswith("\\"):
            refused.append(number)
            continue
        new = with_noqa(lines[number - 1], sorted(set(codes_by_line[number])))
        if new != lines[number - 1]:
            lines[number - 1] = new
            changed.append(number)
    return "".join(lines), changed, refused
