"""The engine: read each file, skip it if no enabled rule could match, parse it once, build the
semantic model once, and let every enabled rule ask it questions."""

from __future__ import annotations

import ast
import contextlib
import gc
import hashlib
import traceback
import warnings
from dataclasses import replace
from typing import Callable, Iterable, Optional

from typing import TYPE_CHECKING

from reprolint import parallel, prefilter
from reprolint.dependencies import DEPENDENCY_FILE_PATTERNS, is_dependency_file, read_dependency_file
from reprolint.discovery import PerFileIgnores
from reprolint.findings import FileError, FileReport, Finding, Position, RunReport
from reprolint.noqa import NoqaIndex, unused_directives
from reprolint.registry import RULES_BY_CODE, select_fixable, select_rules
from reprolint.semantic.project import ProjectIndex, build as build_project_index
from reprolint.settings import DEFAULT_INCLUDE, Settings
from reprolint.sources import (SourceDocument, SourceError, document_from_bytes, parser_gave_up, quiet_python_warnings,
                               read_bytes, read_document)

if TYPE_CHECKING:
    import libcst as cst

# libcst, the semantic layer and the rules are imported where a file is first analysed, not with
# this module: a run answered from the cache never loads them (about half of the start-up).

UNUSED_NOQA = "RPL900"
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


def internal_error(path: str, where: str, exc: BaseException) -> FileError:
    """A bug in reprolint met on one file: named as ours, with the traceback kept for --verbose,
    so the run goes on and the user can report it."""
    return FileError(path, f"{INTERNAL_ERROR} in {where}: {type(exc).__name__}: {exc} "
                           "(a reprolint bug; please report it with this file; --verbose shows the traceback)",
                     detail="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


@contextlib.contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector: a parse allocates a node per token and no cycles, and
    in a young process each of its many collections walks the whole growing tree again (a
    400k-character file parsed 1.7x slower with it on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


class LintCancelled(BaseException):
    """``Linter.cancelled`` said stop: the result is no longer wanted. A BaseException, so
    that the per-rule ``except Exception`` does not report it as the rule's internal error."""


def _never() -> bool:
    return False


def make_rules(selected, settings: Settings) -> list:
    """Rule instances for catalogue entries (``RuleInfo``) or rule classes."""
    return [(rule if isinstance(rule, type) else rule.load())(settings) for rule in selected]


def source_fingerprint(source: str) -> bytes:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class PrefilterVerdict:
    """``(source, tree) -> (the source's fingerprint, the codes of the rules that can report on
    it, whether the project's own pipeline names could add a rule)``, decided from the stdlib
    tree pass 1 already built, without those names (``Linter._pass_one_verdict`` checks when
    they matter). It travels to pass 1's workers and makes its rules there on first use: a run
    whose pass 1 is all cache hits never imports a rule."""

    def __init__(self, selected, settings: Settings) -> None:
        self.selected = selected
        self.settings = settings
        self._rules: Optional[list] = None

    def __getstate__(self) -> dict:
        return {"selected": self.selected, "settings": self.settings, "_rules": None}

    def __call__(self, source: str, tree) -> tuple:
        passed = {rule.code for rule in prefilter.candidates(self.selected, source)}
        if passed and self._rules is None:
            self._rules = make_rules(self.selected, self.settings)
        candidates = [rule for rule in self._rules or () if rule.code in passed]
        allowed = {rule.code for rule in prefilter.rules_allowed(candidates, source, tree)} if candidates else set()
        # A project's own pipeline names can only add the rules that stand for a diffusers
        # import: when those pass already, the names cannot change the verdict.
        names_matter = any(prefilter.stands_for_project_names(rule) and rule.code not in allowed
                           for rule in self.selected)
        return source_fingerprint(source), tuple(sorted(allowed)), names_matter


class Linter:
    """Lints sources with one fixed set of rules and settings."""

    def __init__(self, settings: Optional[Settings] = None, rules: Optional[Iterable] = None,
                 prefilter: bool = True) -> None:
        self.settings = settings or Settings()
        self.prefilter = prefilter  # off only to prove the prefilter drops no finding
        self.explicit_rules = list(rules) if rules is not None else None
        # Catalogue entries (or the explicit classes): what a run needs before it lints a file.
        self.selected = self.explicit_rules if rules is not None else select_rules(
            self.settings.select, self.settings.ignore, self.settings.extend_select)
        self._rules: Optional[list] = None
        self.per_file_ignores = PerFileIgnores(self.settings)
        self.reports_unused_noqa = any(rule.code == UNUSED_NOQA for rule in self.selected)
        # The project's module summaries (``reprolint.semantic.project``), set by ``lint_paths``
        # before any file is analysed; a file outside it knows only itself.
        self.project: Optional[ProjectIndex] = None
        # Whether a rule reads requirements files, pyproject.toml and environment.yml (RPL401).
        # Only then are those files discovered and read as dependency files.
        self.reads_dependencies = any("dependencies" in rule.file_kinds for rule in self.selected)
        # Asked between the steps of a lint (after the analysis, between rules and findings):
        # True stops it with LintCancelled. The language server's, when the text changed.
        self.cancelled: Optional[Callable[[], bool]] = None
        # The rules whose fixes are offered (`fixable` minus `unfixable`, as ruff has them); the
        # others' findings are reported without a fix: no [*], nothing for --fix to apply.
        self.unfixable_codes = frozenset(RULES_BY_CODE) - select_fixable(
            self.settings.fixable, self.settings.unfixable)

    @property
    def rules(self) -> list:
        """The enabled rule instances. Their classes (and libcst) load on first use: a run
        answered from the cache never needs them."""
        if self._rules is None:
            self._rules = make_rules(self.selected, self.settings)
        return self._rules

    @property
    def dependency_rules(self) -> list:
        return [rule for rule in self.rules if "dependencies" in rule.file_kinds]

    def reads_as_dependency_file(self, path: str) -> bool:
        return self.reads_dependencies and is_dependency_file(path)

    def discovery_settings(self) -> Settings:
        """The settings discovery walks folders with: dependency files are included too when a
        rule reads them."""
        if not self.reads_dependencies:
            return self.settings
        include = tuple(self.settings.include or DEFAULT_INCLUDE)
        return replace(self.settings, include=include + tuple(p for p in DEPENDENCY_FILE_PATTERNS if p not in include))

    def lint_dependency_file(self, data: bytes, path: str) -> FileReport:
        """The findings of the dependency-file rules in one requirements file, pyproject.toml or
        environment.yml (text, never parsed as Python)."""
        report = FileReport(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            report.errors.append(FileError(path, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"))
            return report
        try:
            document = read_dependency_file(path, text)
            noqa = NoqaIndex.from_source(text)
            ignored_here = self.per_file_ignores.codes_for(path)
            lines = text.splitlines()
            for rule in self.dependency_rules:
                if rule.code in ignored_here:
                    continue
                for finding in rule.check_dependencies(document):
                    if not noqa.suppresses(finding.start.line, finding.code, finding.name):
                        if 1 <= finding.start.line <= len(lines):
                            finding.extra.setdefault("source_line", lines[finding.start.line - 1])
                        report.findings.append(finding)
        except Exception as exc:  # a bug in reprolint must not end the run
            report.errors.append(internal_error(path, "the dependency-file rules", exc))
        report.findings.sort(key=lambda f: f.sort_key)
        return report

    def could_match(self, source: str, tree=None) -> bool:
        """The prefilter (``reprolint.prefilter``): a file no enabled rule could report on is
        never parsed by libcst. ``tree``: the file's stdlib ast, when already parsed."""
        return not self.prefilter or prefilter.could_match(self.rules, source, tree, self._project_names())

    def _project_names(self) -> frozenset:
        """The project's names that stand for a rule's text checks (``prefilter``): its pipeline
        names, and the names of its helpers with a fact a selected rule's ``project_triggers``
        lists."""
        if self.project is None:
            return frozenset()
        facts = frozenset(fact for rule in self.selected for fact in getattr(rule, "project_triggers", ()))
        return self.project.pipeline_names | self.project.names_doing(facts) if facts else self.project.pipeline_names

    def lint_source(self, source: str, path: str) -> FileReport:
        report = FileReport(path)
        if not self.selected:
            return report
        verdict = self._pass_one_verdict(source, path)
        if verdict is not None:
            return self._lint_with_verdict(source, report, verdict)
        if self.prefilter:  # the text checks, on the catalogue: no rule is imported for a file they skip
            passed = {rule.code for rule in prefilter.candidates(self.selected, source, self._project_names())}
            candidates = [rule for rule in self.rules if rule.code in passed] if passed else []
        else:
            candidates = self.rules
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
        if self.prefilter:
            candidates = prefilter.rules_allowed(candidates, source, tree, self._project_names())
            if not candidates:
                report.prefiltered = True
                return report
        module = self.parse(source, report, syntax_checked=True)
        if module is None:
            return report
        return self.lint_module(module, source, report, tree, rules=candidates)

    def _pass_one_verdict(self, source: str, path: str) -> Optional[tuple]:
        """The rule codes pass 1 found could report on this very source, when it decided that
        (``prefilter_verdict``); None where the prefilter must decide here."""
        if not self.prefilter or self.project is None:
            return None
        hint = self.project.hints.get(path)
        if hint is None or hint[0] != source_fingerprint(source):
            return None
        # Pass 1 decided without the project's pipeline names, which only a file naming one
        # could be affected by, and only where they would add a rule.
        fingerprint, codes, names_matter = hint
        names = self._project_names()
        if names_matter and names and any(name in source for name in names):
            return None
        return codes

    def _lint_with_verdict(self, source: str, report: FileReport, codes: tuple) -> FileReport:
        """``lint_source`` for a file pass 1 has parsed: it compiled, and the rules that can
        report on it are known, so the stdlib parser need not run again."""
        candidates = [rule for rule in self.rules if rule.code in codes] if codes else []
        if not candidates:
            report.prefiltered = True
            return report
        if len(source) > MAX_ANALYSED_CHARS:
            report.errors.append(FileError(report.path, too_large_message(len(source))))
            return report
        module = self.parse(source, report, syntax_checked=True)
        if module is None:
            return report
        return self.lint_module(module, source, report, None, rules=candidates)

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
        import libcst as cst

        try:
            with _collector_paused():
                return cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            report.errors.append(FileError(path, f"{PARSE_ERROR}: {exc.message}",
                                           exc.raw_line, exc.raw_column + 1))
        except RecursionError:
            report.errors.append(FileError(path, f"{PARSE_ERROR}: nesting too deep"))
        except MemoryError as exc:
            report.errors.append(FileError(path, f"{PARSE_ERROR}: {parser_gave_up(exc)}"))
        except Exception as exc:  # libcst raises a few other types on exotic input
            report.errors.append(FileError(path, f"{PARSE_ERROR}: {type(exc).__name__}: {exc}"))
        return None

    def lint_module(self, module: cst.Module, source: str, report: FileReport, tree=None,
                    rules: Optional[list] = None) -> FileReport:
        """Run the rules over a parsed module; the fixer calls this to keep the tree it edits.
        ``tree``: the module's stdlib ast, when already parsed; ``rules``: the enabled rules the
        prefilter left for this module (default: every enabled rule)."""
        with quiet_python_warnings():
            return self._lint_module(module, source, report, tree, self.rules if rules is None else rules)

    def project_for(self, path: str, source: str, tree=None) -> ProjectIndex:
        """The index a file is analysed with: the project's when the file belongs to it, else
        one of the file alone (its own helpers and classes still count)."""
        if self.project is not None and self.project.module_name(path) is not None:
            return self.project
        return ProjectIndex.for_module(source, path, tree)

    def _lint_module(self, module: cst.Module, source: str, report: FileReport, tree, rules: list) -> FileReport:
        from reprolint.semantic.analyzer import analyse

        path = report.path
        if self.cancelled is not None and self.cancelled():
            raise LintCancelled()
        try:
            model = analyse(module, source, path,
                            determinism_helpers=self.settings.determinism_helpers,
                            seeding_helpers=self.settings.seeding_helpers,
                            project=self.project_for(path, source, tree))
            model.stdlib_tree = tree
        except RecursionError:
            report.errors.append(FileError(path, "could not analyse: nesting too deep"))
            return report
        except Exception as exc:  # a bug in reprolint must not end the run: report it for this file
            report.errors.append(internal_error(path, "the analyzer", exc))
            return report
        noqa = NoqaIndex.from_source(source)
        ignored_here = self.per_file_ignores.codes_for(path)
        cancelled = self.cancelled or _never
        for rule in rules:
            if rule.code in ignored_here:
                continue
            if cancelled():
                raise LintCancelled()
            try:
                for finding in rule.check(model):
                    if cancelled():
                        raise LintCancelled()
                    if not noqa.suppresses(finding.start.line, finding.code, finding.name):
                        if finding.code in self.unfixable_codes:
                            finding.fix = None
                        report.findings.append(finding)
            except RecursionError:
                report.errors.append(FileError(path, f"{rule.code} could not analyse: nesting too deep"))
            except Exception as exc:  # one broken rule must not cost the other rules' findings
                report.errors.append(internal_error(path, rule.code, exc))
        if self.reports_unused_noqa and UNUSED_NOQA not in ignored_here:
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
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: nesting too deep"))
        except MemoryError as exc:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: {parser_gave_up(exc)}"))
        except ValueError as exc:
            report.errors.append(FileError(report.path, f"{PARSE_ERROR}: {type(exc).__name__}: {exc}"))
        return None

    def _unused_noqa(self, noqa: NoqaIndex, source: str, path: str, ignored_here) -> list:
        enabled = {rule.code: rule.name for rule in self.rules if rule.code not in ignored_here}
        known = {code: rule.name for code, rule in RULES_BY_CODE.items()}
        lines = source.splitlines()
        findings = []
        unused_noqa = RULES_BY_CODE[UNUSED_NOQA]
        for unused in unused_directives(noqa, enabled, known, (unused_noqa.code, unused_noqa.name)):
            line, column = unused.directive.line, unused.directive.column
            findings.append(Finding(unused_noqa.code, unused_noqa.name, unused.describe(), path,
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
        report = self.check_parsable_blocks(document, self.lint_source)
        document.relocate(report)
        if document.kind == "markdown":
            # --fix leaves Markdown pages as they are (their blocks are examples to read), so their
            # findings must not be offered as fixable: no [*], no "fixable" count, no JSON fix.
            for finding in report.findings:
                finding.fix = None
        return report

    def check_parsable_blocks(self, document: SourceDocument, check=None) -> FileReport:
        """``check(python, path)``'s report (default: only parse) on the document's Python, once
        the blocks that do not parse (a Markdown block, a notebook cell) are skipped: on a parse
        error, ``document.skip_unparsable_blocks`` blanks them and ``check`` runs again."""
        check = check or self._parse_report
        report = check(document.python, document.path)
        for _ in range(2):
            parse_errors = [e for e in report.errors if e.message.startswith(PARSE_ERROR)]
            if not parse_errors or not document.skip_unparsable_blocks(parse_errors[0].line):
                break
            report = check(document.python, document.path)
        return report

    def _parse_report(self, source: str, path: str) -> FileReport:
        report = FileReport(path)
        self.parse(source, report)
        return report

    def lint_bytes(self, data: bytes, path: str) -> FileReport:
        """Lint content that is not read from ``path`` (standard input with --stdin-filename)."""
        if self.reads_as_dependency_file(path):
            return self.lint_dependency_file(data, path)
        return self._lint_loaded(path, lambda: document_from_bytes(data, path))

    def lint_file(self, path: str) -> FileReport:
        if self.reads_as_dependency_file(path):
            try:
                data = read_bytes(path)
            except SourceError as exc:
                report = FileReport(path)
                report.errors.append(FileError(path, str(exc), line=exc.line))
                return report
            return self.lint_dependency_file(data, path)
        return self._lint_loaded(path, lambda: read_document(path))

    def _lint_loaded(self, path: str, load) -> FileReport:
        try:
            document = load()
        except SourceError as exc:
            report = FileReport(path)
            report.errors.append(FileError(path, str(exc), line=exc.line))
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
        return parallel.run_paths(self, paths, jobs=jobs, cache=cache, progress=progress)

    def index_project(self, files: list, roots, cache=None, mapper=map,
                      contents: Optional[dict] = None) -> ProjectIndex:
        """Pass 1: summarise every Python module of the run, so each file is linted knowing the
        project modules it imports. Summaries are cached beside lint results. ``mapper``: see
        ``reprolint.semantic.project.build``; ``contents``: the bytes of files read already."""
        store = cache.summaries() if cache is not None else None
        # Pass 1 parses most modules with the stdlib parser anyway: it also gives the prefilter's
        # verdict on each, so the linting pass parses them only with libcst.
        verdict = PrefilterVerdict(self.selected, self.settings) if self.prefilter else None
        return build_project_index(files, [str(r) for r in roots if str(r) != "-"], cache=store, mapper=mapper,
                                   on_tree=verdict, contents=contents)
