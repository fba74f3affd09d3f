"""The engine: read each file, skip it if no enabled rule could match, parse it once, build the
semantic model once, and let every enabled rule ask it questions."""

from __future__ import annotations

import ast
import contextlib
import traceback
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
from reprolint.semantic.project import ProjectIndex, build as build_project_index
from reprolint.rules import RULES_BY_CODE
from reprolint.rules.rpl900_unused_noqa import UnusedNoqa
from reprolint.settings import Settings
from reprolint.sources import SourceDocument, SourceError, decode_source, document_from_bytes, read_bytes, read_document

PARSE_ERROR = "could not parse"
INTERNAL_ERROR = "internal error"
# libcst's tree, its positions and the analysis cost about 50 s and 700 MB per MB of source
# (a generated 5 MB table took 260 s and 3.6 GB), so a file that big is an error, not a hang.
# Files no rule could match are only checked by the stdlib parser and have no limit.
MAX_ANALYSED_CHARS = 1_000_000
TOO_LARGE = "too large to analyse"


def too_large_message(chars: int) -> str:
    return (f"{TOO_LARGE}: {chars:,} characters, over the limit of {MAX_ANALYSED_CHARS:,} "
            "(generated code? exclude it)")


@contextlib.contextmanager
def quiet_python_warnings():
    """`"\\d"` or `1()` in the user's file: Python's warnings about it, raised while parsing it or
    evaluating its literals, are not findings, and printed on stderr they garble the report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def internal_error(path: str, where: str, exc: BaseException) -> FileError:
    """A bug in reprolint met on one file: named as ours, with the traceback kept for --verbose,
    so the run goes on and the user can report it."""
    return FileError(path, f"{INTERNAL_ERROR} in {where}: {type(exc).__name__}: {exc} "
                           "(a reprolint bug; please report it with this file; --verbose shows the traceback)",
                     detail="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def read_source(path: str) -> str:
    """A Python file's text (no notebook or Markdown adaptation)."""
    return decode_source(read_bytes(path))


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
        # The project's module summaries (``reprolint.semantic.project``), set by ``lint_paths``
        # before any file is analysed; a file outside it knows only itself.
        self.project: Optional[ProjectIndex] = None

    def could_match(self, source: str, tree=None) -> bool:
        """The prefilter (``reprolint.prefilter``): a file no enabled rule could report on is
        never parsed by libcst. ``tree``: the file's stdlib ast, when already parsed."""
        return not self.prefilter or prefilter.could_match(self.rules, source, tree, self._project_names())

    def _project_names(self) -> frozenset:
        return self.project.pipeline_names if self.project is not None else frozenset()

    def lint_source(self, source: str, path: str) -> FileReport:
        report = FileReport(path)
        if not self.rules:
            return report
        candidates = prefilter.candidates(self.rules, source, self._project_names()) if self.prefilter else self.rules
        if not candidates:
            # No rule can match, but a broken file is still an error: the stdlib parser, much
            # cheaper than libcst's, says so.
            report.prefiltered = True
            if not _compiles(source, path):  # the fast check; the tree is not needed
                self._check_syntax_cheaply(source, report)
            return report
        if len(source) > MAX_ANALYSED_CHARS:  # before the stdlib parser, which alone takes seconds
            report.errors.append(FileError(path, too_large_message(len(source))))
            return report
        # Its tree feeds the prefilter's second stage, and parse() need not check again.
        tree = self._check_syntax_cheaply(source, report)
        if tree is None:
            return report
        if self.prefilter and not prefilter.facts_allow(candidates, source, tree, self._project_names()):
            report.prefiltered = True
            return report
        module = self.parse(source, report, syntax_checked=True)
        if module is None:
            return report
        return self.lint_module(module, source, report, tree)

    def parse(self, source: str, report: FileReport, syntax_checked: bool = False) -> Optional[cst.Module]:
        """The module's tree, or None with the reason added to ``report.errors``."""
        path = report.path
        if len(source) > MAX_ANALYSED_CHARS:
            report.errors.append(FileError(path, too_large_message(len(source))))
            return None
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

    def lint_module(self, module: cst.Module, source: str, report: FileReport, tree=None) -> FileReport:
        """Run the rules over a parsed module; the fixer calls this to keep the tree it edits.
        ``tree``: the module's stdlib ast, when already parsed."""
        with quiet_python_warnings():
            return self._lint_module(module, source, report, tree)

    def project_for(self, path: str, source: str, tree=None) -> ProjectIndex:
        """The index a file is analysed with: the project's when the file belongs to it, else
        one of the file alone (its own helpers and classes still count)."""
        if self.project is not None and self.project.module_name(path) is not None:
            return self.project
        return ProjectIndex.for_module(source, path, tree)

    def _lint_module(self, module: cst.Module, source: str, report: FileReport, tree=None) -> FileReport:
        path = report.path
        try:
            model = analyse(module, source, path,
                            determinism_helpers=self.settings.determinism_helpers,
                            seeding_helpers=self.settings.seeding_helpers,
                            project=self.project_for(path, source, tree))
        except RecursionError:
            report.errors.append(FileError(path, "could not analyse: nesting too deep"))
            return report
        except Exception as exc:  # a bug in reprolint must not end the run: report it for this file
            report.errors.append(internal_error(path, "the analyzer", exc))
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
            except Exception as exc:  # one broken rule must not cost the other rules' findings
                report.errors.append(internal_error(path, rule.code, exc))
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
            with quiet_python_warnings():
                return ast.parse(source, report.path)
        except SyntaxError as exc:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: {exc.msg}",
                                           exc.lineno or 1, exc.offset or 1))
        except RecursionError:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: nesting too deep (RecursionError)"))
        except (MemoryError, ValueError) as exc:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: {type(exc).__name__}: {exc}"))
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
        try:
            return self._lint_document(document)
        except Exception as exc:  # what lint_source does not catch itself (noqa, relocation)
            report = FileReport(document.path)
            report.errors.append(internal_error(document.path, "reprolint", exc))
            return report

    def _lint_document(self, document: SourceDocument) -> FileReport:
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
        return self._lint_loaded(path, lambda: document_from_bytes(data, path))

    def lint_file(self, path: str) -> FileReport:
        return self._lint_loaded(path, lambda: read_document(path))

    def _lint_loaded(self, path: str, load) -> FileReport:
        try:
            document = load()
        except SourceError as exc:
            report = FileReport(path)
            report.errors.append(FileError(path, str(exc)))
            return report
        except Exception as exc:  # a bug in a source adapter must not end the run either
            report = FileReport(path)
            report.errors.append(internal_error(path, "reading the file", exc))
            return report
        return self.lint_document(document)

    def lint_paths(self, paths: Iterable[str], jobs: int = 1, cache=None, progress: bool = False) -> RunReport:
        """Lint files and folders. ``jobs`` > 1 lints in a process pool; ``cache``
        (a ``reprolint.cache.Cache``) answers unchanged files from disk. With either, findings
        are detached (``reprolint.parallel``): their fixes are summaries without node edits."""
        found = discover(list(paths), self.settings)
        if self.project is None:
            self.project = self.index_project(found.files, paths, cache)
        if cache is not None:
            cache.key_by_project(self.project.digest)
        run = RunReport()
        for missing in found.missing:
            report = FileReport(missing)
            report.errors.append(FileError(missing, "no such file or directory"))
            run.files.append(report)
        if jobs > 1 or cache is not None or progress:
            from reprolint.parallel import lint_files

            run.files.extend(lint_files(found.files, self.settings, self.explicit_rules, jobs, cache, progress,
                                        self.prefilter, self.project))
        else:
            run.files.extend(self.lint_file(path) for path in found.files)
        run.checked += len(found.files)
        run.files.sort(key=lambda r: r.path)
        return run

    def index_project(self, files: list, roots, cache=None) -> ProjectIndex:
        """Pass 1: summarise every Python module of the run, so each file is linted knowing the
        project modules it imports. Summaries are cached beside lint results."""
        store = cache.summaries() if cache is not None else None
        return build_project_index(files, [str(r) for r in roots if str(r) != "-"], cache=store)
