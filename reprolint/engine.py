"""The engine: read each file, skip it if no enabled rule could match, parse it once, build the
semantic model once, and let every enabled rule ask it questions."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from typing import Iterable, Optional

import libcst as cst

from reprolint.discovery import discover
from reprolint.findings import FileError, FileReport
from reprolint.noqa import NoqaIndex
from reprolint.registry import select_rules
from reprolint.semantic.analyzer import analyse
from reprolint.settings import Settings


class SourceError(Exception):
    """A file that cannot be turned into text; the message names the reason."""


def decode_source(data: bytes) -> str:
    """Bytes to text, honouring a BOM and a PEP 263 coding cookie, as Python itself does."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("file is UTF-16 or UTF-32 encoded; Python source must be UTF-8 "
                          "(or declare its encoding with a PEP 263 coding comment)")
    if b"\x00" in data:
        raise SourceError("file contains NUL bytes (binary file?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" in str(exc):
            raise SourceError("not valid UTF-8 and no PEP 263 coding declaration") from None
        raise SourceError(f"bad encoding declaration: {exc}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"not valid {encoding} text ({exc.reason if hasattr(exc, 'reason') else exc})") from None
    return text.lstrip("\ufeff")


def read_source(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SourceError(f"could not read: {exc.strerror or exc}") from None
    return decode_source(data)


@dataclass
class RunReport:
    files: list = field(default_factory=list)  # FileReport, in path order
    checked: int = 0

    @property
    def findings(self) -> list:
        return [f for report in self.files for f in report.findings]

    @property
    def errors(self) -> list:
        return [e for report in self.files for e in report.errors]


class Linter:
    """Lints sources with one fixed set of rules and settings."""

    def __init__(self, settings: Optional[Settings] = None, rules: Optional[Iterable] = None) -> None:
        self.settings = settings or Settings()
        rule_classes = list(rules) if rules is not None else select_rules(
            self.settings.select, self.settings.ignore, self.settings.extend_select)
        self.rules = [rule_class(self.settings) for rule_class in rule_classes]
        self.triggers = tuple({t for rule in self.rules for t in rule.triggers})

    def could_match(self, source: str) -> bool:
        """The prefilter: a file none of whose rules' trigger words occur cannot produce a
        finding, so it is never parsed. Triggers are substrings every finding's code contains."""
        return any(trigger in source for trigger in self.triggers)

    def lint_source(self, source: str, path: str) -> FileReport:
        report = FileReport(path)
        if not self.rules:
            return report
        if not self.could_match(source):
            # No rule can match, but a broken file is still an error: the stdlib parser, much
            # cheaper than libcst's, says so.
            report.prefiltered = True
            self._check_syntax_cheaply(source, report)
            return report
        # The stdlib parser first: it is ~9x cheaper than libcst's, gives Python's own messages,
        # and turns pathological nesting into an error instead of a native stack overflow in
        # libcst's parser (which would kill the whole run).
        self._check_syntax_cheaply(source, report)
        if report.errors:
            return report
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            report.errors.append(FileError(path, f"could not parse: {exc.message}",
                                           exc.raw_line, exc.raw_column + 1))
            return report
        except RecursionError:
            report.errors.append(FileError(path, "could not parse: nesting too deep"))
            return report
        except Exception as exc:  # libcst raises a few other types on exotic input
            report.errors.append(FileError(path, f"could not parse: {type(exc).__name__}: {exc}"))
            return report
        try:
            model = analyse(module, source, path,
                            determinism_helpers=self.settings.determinism_helpers,
                            seeding_helpers=self.settings.seeding_helpers)
        except RecursionError:
            report.errors.append(FileError(path, "could not analyse: nesting too deep"))
            return report
        noqa = NoqaIndex.from_source(source)
        for rule in self.rules:
            try:
                for finding in rule.check(model):
                    if not noqa.suppresses(finding.start.line, finding.code, finding.name):
                        report.findings.append(finding)
            except RecursionError:
                report.errors.append(FileError(path, f"{rule.code} could not analyse: nesting too deep"))
        report.findings.sort(key=lambda f: f.sort_key)
        return report

    @staticmethod
    def _check_syntax_cheaply(source: str, report: FileReport) -> None:
        try:
            ast.parse(source, report.path)
        except SyntaxError as exc:
            report.errors.append(FileError(report.path, f"could not parse: {exc.msg}",
                                           exc.lineno or 1, exc.offset or 1))
        except (RecursionError, MemoryError, ValueError) as exc:
            report.errors.append(FileError(report.path, f"could not parse: {type(exc).__name__}"))

    def lint_file(self, path: str) -> FileReport:
        try:
            source = read_source(path)
        except SourceError as exc:
            report = FileReport(path)
            report.errors.append(FileError(path, str(exc)))
            return report
        return self.lint_source(source, path)

    def lint_paths(self, paths: Iterable[str]) -> RunReport:
        found = discover(list(paths))
        run = RunReport()
        for missing in found.missing:
            report = FileReport(missing)
            report.errors.append(FileError(missing, "no such file or directory"))
            run.files.append(report)
        for path in found.files:
            run.files.append(self.lint_file(path))
            run.checked += 1
        run.files.sort(key=lambda r: r.path)
        return run
