"""The engine: read each file, skip it if no enabled rule could match, parse it once, build the
semantic model once, and let every enabled rule ask it questions."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field
from typing import Iterable, Optional

import libcst as cst

from reprolint import prefilter
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
    if b"\x00" in data:
        raise SourceError("file contains NUL bytes (binary file?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
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

    def __init__(self, settings: Optional[Settings] = None, rules: Optional[Iterable] = None,
                 prefilter: bool = True) -> None:
        self.settings = settings or Settings()
        self.prefilter = prefilter  # off only to prove the prefilter drops no finding
        self.explicit_rules = list(rules) if rules is not None else None
        rule_classes = self.explicit_rules if rules is not None else select_rules(
            self.settings.select, self.settings.ignore, self.settings.extend_select)
        self.rules = [rule_class(self.settings) for rule_class in rule_classes]
        self.triggers = tuple({t for rule in self.rules for t in rule.triggers})

    def could_match(self, source: str) -> bool:
        """The prefilter (``reprolint.prefilter``): a file no enabled rule could report on is
        never parsed."""
        return not self.prefilter or prefilter.could_match(self.rules, source)

    def lint_source(self, source: str, path: str) -> FileReport:
        report = FileReport(path)
        if not self.rules:
            return report
        if not self.could_match(source):
            report.prefiltered = True
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

    def lint_file(self, path: str) -> FileReport:
        try:
            source = read_source(path)
        except SourceError as exc:
            report = FileReport(path)
            report.errors.append(FileError(path, str(exc)))
            return report
        return self.lint_source(source, path)

    def lint_paths(self, paths: Iterable[str], jobs: int = 1, cache=None, progress: bool = False) -> RunReport:
        """Lint files and folders. ``jobs`` > 1 lints in a process pool; ``cache``
        (a ``reprolint.cache.Cache``) answers unchanged files from disk. With either, findings
        are detached (``reprolint.parallel``): their fixes are summaries without node edits."""
        found = discover(list(paths))
        run = RunReport()
        for missing in found.missing:
            report = FileReport(missing)
            report.errors.append(FileError(missing, "no such file or directory"))
            run.files.append(report)
        if jobs > 1 or cache is not None or progress:
            from reprolint.parallel import lint_files

            run.files.extend(lint_files(found.files, self.settings, self.explicit_rules, jobs, cache, progress,
                                        self.prefilter))
        else:
            run.files.extend(self.lint_file(path) for path in found.files)
        run.checked += len(found.files)
        run.files.sort(key=lambda r: r.path)
        return run
