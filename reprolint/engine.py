"""The engine: read each file, skip it if no enabled rule could match, parse it once, build the
semantic model once, and let every enabled rule ask it questions."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Optional

import libcst as cst

from reprolint import prefilter
from reprolint.discovery import PerFileIgnores, discover
from reprolint.findings import FileError, FileReport, Finding, Position
from reprolint.noqa import NoqaIndex, unused_directives
from reprolint.registry import select_rules
from reprolint.semantic.analyzer import analyse
from reprolint.rules import RULES_BY_CODE
from reprolint.rules.rpl900_unused_noqa import UnusedNoqa
from reprolint.settings import Settings
from reprolint.sources import SourceDocument, SourceError, decode_source, document_from_bytes, read_document

PARSE_ERROR = "could not parse"


def read_source(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SourceError(f"could not read: {exc.strerror or exc}") from None
    return decode_source(data)


def _compiles(source: str, path: str) -> bool:
    """Whether Python compiles ``source``: several times cheaper than ``ast.parse``, which
    builds a Python object per node. False proves nothing (``compile`` also rejects what only
    a later stage forbids, such as a top-level ``return``); ``ast.parse`` then decides."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False


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
        self.per_file_ignores = PerFileIgnores(self.settings)
        self.reports_unused_noqa = any(isinstance(rule, UnusedNoqa) for rule in self.rules)

    def could_match(self, source: str, tree=None) -> bool:
        """The prefilter (``reprolint.prefilter``): a file no enabled rule could report on is
        never parsed by libcst. ``tree``: the file's stdlib ast, when already parsed."""
        return not self.prefilter or prefilter.could_match(self.rules, source, tree)

    def lint_source(self, source: str, path: str) -> FileReport:
        report = FileReport(path)
        if not self.rules:
            return report
        candidates = prefilter.candidates(self.rules, source) if self.prefilter else self.rules
        if not candidates:
            # No rule can match, but a broken file is still an error: the stdlib parser, much
            # cheaper than libcst's, says so.
            report.prefiltered = True
            if not _compiles(source, path):  # the fast check; the tree is not needed
                self._check_syntax_cheaply(source, report)
            return report
        # Its tree feeds the prefilter's second stage, and parse() need not check again.
        tree = self._check_syntax_cheaply(source, report)
        if tree is None:
            return report
        if self.prefilter and not prefilter.facts_allow(candidates, source, tree):
            report.prefiltered = True
            return report
        module = self.parse(source, report, syntax_checked=True)
        if module is None:
            return report
        return self.lint_module(module, source, report)

    def parse(self, source: str, report: FileReport, syntax_checked: bool = False) -> Optional[cst.Module]:
        """The module's tree, or None with the reason added to ``report.errors``."""
        path = report.path
        # The stdlib parser first: it is ~9x cheaper than libcst's, gives Python's own messages,
        # and turns pathological nesting into an error instead of a native stack overflow in
        # libcst's parser (which would kill the whole run).
        if not syntax_checked and self._check_syntax_cheaply(source, report) is None:
            return None
        try:
            return cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            report.errors.append(FileError(path, f"{PARSE_ERROR}: {exc.message}",
                                           exc.raw_line, exc.raw_column + 1))
        except RecursionError:
            report.errors.append(FileError(path, f"{PARSE_ERROR}: nesting too deep"))
        except Exception as exc:  # libcst raises a few other types on exotic input
            report.errors.append(FileError(path, f"{PARSE_ERROR}: {type(exc).__name__}: {exc}"))
        return None

    def lint_module(self, module: cst.Module, source: str, report: FileReport) -> FileReport:
        """Run the rules over a parsed module; the fixer calls this to keep the tree it edits."""
        path = report.path
        try:
            model = analyse(module, source, path,
                            determinism_helpers=self.settings.determinism_helpers,
                            seeding_helpers=self.settings.seeding_helpers)
        except RecursionError:
            report.errors.append(FileError(path, "could not analyse: nesting too deep"))
            return report
        noqa = NoqaIndex.from_source(source)
        ignored_here = self.per_file_ignores.codes_for(path)
        for rule in self.rules:
            if rule.code in ignored_here:
                continue
            try:
                for finding in rule.check(model):
                    if not noqa.suppresses(finding.start.line, finding.code, finding.name):
                        report.findings.append(finding)
            except RecursionError:
                report.errors.append(FileError(path, f"{rule.code} could not analyse: nesting too deep"))
        if self.reports_unused_noqa and UnusedNoqa.code not in ignored_here:
            report.findings.extend(self._unused_noqa(noqa, source, path, ignored_here))
        report.findings.sort(key=lambda f: f.sort_key)
        if report.findings:  # the `full` output format shows the line under each finding
            lines = source.splitlines()
            for finding in report.findings:
                if 1 <= finding.start.line <= len(lines):
                    finding.extra.setdefault("source_line", lines[finding.start.line - 1])
        return report

    @staticmethod
    def _check_syntax_cheaply(source: str, report: FileReport):
        """The stdlib ast of ``source``, or None with the syntax error added to ``report``."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings (invalid escapes) are not ours
                return ast.parse(source, report.path)
        except SyntaxError as exc:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: {exc.msg}",
                                           exc.lineno or 1, exc.offset or 1))
        except (RecursionError, MemoryError, ValueError) as exc:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: {type(exc).__name__}"))
        return None

    def _unused_noqa(self, noqa: NoqaIndex, source: str, path: str, ignored_here) -> list:
        enabled = {rule.code: rule.name for rule in self.rules if rule.code not in ignored_here}
        known = {code: rule.name for code, rule in RULES_BY_CODE.items()}
        lines = source.splitlines()
        findings = []
        for unused in unused_directives(noqa, enabled, known, (UnusedNoqa.code, UnusedNoqa.name)):
            line, column = unused.directive.line, unused.directive.column
            findings.append(Finding(UnusedNoqa.code, UnusedNoqa.name, unused.describe(), path,
                                    Position(line, column), Position(line, len(lines[line - 1]) + 1)))
        return findings

    def lint_document(self, document: SourceDocument) -> FileReport:
        """Lint a file's Python text and move the findings back to the file's own positions.
        A Markdown block that does not parse is blanked (with a note) and the page parsed again."""
        report = self.lint_source(document.python, document.path)
        for _ in range(2):
            parse_errors = [e for e in report.errors if e.message.startswith(PARSE_ERROR)]
            if not parse_errors or not document.skip_unparsable_blocks(parse_errors[0].line):
                break
            report = self.lint_source(document.python, document.path)
        document.relocate(report)
        return report

    def lint_bytes(self, data: bytes, path: str) -> FileReport:
        """Lint content that is not read from ``path`` (standard input with --stdin-filename)."""
        try:
            document = document_from_bytes(data, path)
        except SourceError as exc:
            report = FileReport(path)
            report.errors.append(FileError(path, str(exc)))
            return report
        return self.lint_document(document)

    def lint_file(self, path: str) -> FileReport:
        try:
            document = read_document(path)
        except SourceError as exc:
            report = FileReport(path)
            report.errors.append(FileError(path, str(exc)))
            return report
        return self.lint_document(document)

    def lint_paths(self, paths: Iterable[str], jobs: int = 1, cache=None, progress: bool = False) -> RunReport:
        """Lint files and folders. ``jobs`` > 1 lints in a process pool; ``cache``
        (a ``reprolint.cache.Cache``) answers unchanged files from disk. With either, findings
        are detached (``reprolint.parallel``): their fixes are summaries without node edits."""
        found = discover(list(paths), self.settings)
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
