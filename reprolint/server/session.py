"""What the language server knows, without the protocol: open documents, the settings that apply
to each, and the lint results and fix edits computed for them.

Nothing here imports pygls, so the benchmark and the protocol layer share it. Positions are
those of reprolint's findings (1-based lines and code-point columns); the protocol layer turns
them into the client's units.

Every document is linted through ``Linter.lint_document``, the engine's one entry point for a
single source, with the workspace's project index (``WorkspaceIndex``) set on the linter, as
``reprolint check`` lints a folder.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from reprolint.config import ConfigError, find_config, resolve_settings
from reprolint.engine import INTERNAL_ERROR, Linter
from reprolint.findings import Applicability, FileError, FileReport, Finding
from reprolint.fix.one_fix import OneFixLinter
from reprolint.noqa import LINE_NOQA
from reprolint.settings import Settings
from reprolint.sources import SourceError, document_from_bytes, kind_of

CONFIG_NAMES = ("pyproject.toml", "reprolint.toml")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list:
    """The document's lines as the protocol counts them (``\\n``, ``\\r\\n`` or ``\\r`` end a
    line; ``str.splitlines`` also splits at form feeds and other characters LSP does not)."""
    return _LINE_BREAK.split(text)


def lines_with_ends(text: str) -> list:
    """``split_lines`` keeping each line's line break."""
    return _LINE_WITH_END.findall(text)


# -- the documents the editor has open -----------------------------------------------------------
@dataclass
class Cell:
    """One notebook cell as the editor holds it: its own text document."""

    uri: str
    code: bool  # a code cell (markup cells are never linted)
    text: str = ""


@dataclass
class OpenDocument:
    uri: str
    path: str  # the file system path (the name config globs and per-file-ignores match)
    kind: str  # "python", "notebook" or "markdown", as reprolint.sources names them
    text: str = ""  # python and markdown: the editor's text
    cells: list = field(default_factory=list)  # notebook: Cell, in order
    metadata: dict = field(default_factory=dict)  # notebook metadata (kernel language)
    version: Optional[int] = None
    # The last result and what it was computed from: saving unchanged text, hovering and asking
    # for code actions reuse it instead of linting again.
    result: Optional["LintResult"] = None
    result_key: Optional[tuple] = None

    def content(self) -> str:
        """The text the engine reads: a notebook becomes the nbformat JSON of its cells."""
        if self.kind != "notebook":
            return self.text
        cells = [{"cell_type": "code" if cell.code else "markdown", "metadata": {},
                  "source": cell.text, **({"outputs": [], "execution_count": None} if cell.code else {})}
                 for cell in self.cells]
        return json.dumps({"cells": cells, "metadata": self.metadata, "nbformat": 4, "nbformat_minor": 5})

    def code_cells(self) -> list:
        return [cell for cell in self.cells if cell.code]

    def target_uri(self, cell_number: Optional[int]) -> Optional[str]:
        """The text document a position belongs to: a notebook's positions are relative to its
        ``cell_number``-th code cell (1-based, as the CLI numbers them)."""
        if self.kind != "notebook":
            return self.uri
        code = self.code_cells()
        if cell_number is None or not 1 <= cell_number <= len(code):
            return None
        return code[cell_number - 1].uri

    def text_of(self, uri: str) -> str:
        if uri == self.uri:
            return self.text
        return next((cell.text for cell in self.cells if cell.uri == uri), "")

    def target_uris(self) -> list:
        """Every text document diagnostics are published for (all of them, to clear old ones)."""
        return [cell.uri for cell in self.cells] if self.kind == "notebook" else [self.uri]


# -- configuration -------------------------------------------------------------------------------
@dataclass
class ConfigState:
    settings: Settings
    error: Optional[str] = None  # why the configuration file could not be used
    path: str = ""  # the configuration file (also when it is invalid)


class ConfigStore:
    """The settings for each document, from the nearest ``pyproject.toml``/``reprolint.toml``.

    Which file applies is cached per folder until a configuration file changes
    (``invalidate``); a file's parsed settings are cached until its size or modification time
    changes, so an edit saved in the editor applies even without file-watching. An invalid file
    is an error to show, and the defaults apply meanwhile.
    """

    def __init__(self, root: Optional[str] = None, overrides: Optional[dict] = None) -> None:
        self.root = os.path.abspath(root) if root else os.getcwd()
        self.overrides = overrides or {}
        self._found: dict = {}  # folder -> config path or None
        self._loaded: dict = {}  # config path -> (signature, ConfigState)

    def invalidate(self) -> None:
        self._found.clear()
        self._loaded.clear()

    def state_for(self, path: str) -> ConfigState:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in self._found:
            self._found[folder] = find_config(folder)
        found = self._found[folder]
        signature = _signature(found)
        if found is not None and signature is None:  # deleted since: look again
            found = self._found[folder] = find_config(folder)
            signature = _signature(found)
        cached = self._loaded.get(found)
        if cached is not None and cached[0] == signature:
            return cached[1]
        state = self._load(found)
        self._loaded[found] = (signature, state)
        return state

    def _defaults(self) -> ConfigState:
        return ConfigState(replace(resolve_settings(cli=dict(self.overrides), isolated=True),
                                   project_root=self.root))

    def _load(self, found: Optional[str]) -> ConfigState:
        if found is None:
            return self._defaults()
        try:
            return ConfigState(resolve_settings(cli=dict(self.overrides), config_path=found), path=found)
        except ConfigError as exc:
            state = self._defaults()
            state.error, state.path = str(exc), found
            return state


def _signature(path: Optional[str]) -> Optional[tuple]:
    if path is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def error_line(config_path: str, message: str) -> int:
    """The 1-based line of the key an error message names (`fix-seed`), else 1."""
    match = re.search(r"`([\w-]+)`", message)
    if not match:
        return 1
    try:
        with open(config_path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if re.match(rf"\s*\"?{re.escape(match.group(1))}\"?\s*=", line):
                    return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1


# -- the project index ---------------------------------------------------------------------------
class WorkspaceIndex:
    """The workspace's project index (``reprolint.semantic.project``), kept in memory.

    Built once from the files on disk, as ``reprolint check`` builds it for a folder, then
    updated per file: with the editor's text each time an open document is linted, and from
    disk when a file changes there. A text that does not parse keeps the module's last summary,
    so a half-typed line does not make its helpers vanish from the other files' view.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.built = False
        self.version = 0  # bumped whenever a summary changes: lint results depend on it
        self.changed = False  # a summary changed since the last ``take_changes``
        self._summaries: dict = {}  # path -> summary
        self._names: dict = {}  # path -> its dotted module names, best first
        self._index = None

    def build(self, settings: Settings) -> None:
        from reprolint.discovery import discover
        from reprolint.semantic.project import build

        self.built = True
        index = build(discover([self.root], settings).files, [self.root])
        self._summaries = dict(index.summaries)
        for name, paths in index.by_name.items():
            for path in paths:
                self._names.setdefault(path, [index.primary_name.get(path, name)])
                if name not in self._names[path]:
                    self._names[path].append(name)
        self._index = None

    def index(self):
        from reprolint.semantic.project import ProjectIndex

        if self._index is None:
            self._index = ProjectIndex(dict(self._summaries), self._names)
        return self._index

    def update(self, path: str, source: str) -> None:
        """The module at ``path`` now reads ``source``."""
        import ast
        import warnings

        from reprolint.semantic.project import could_have_summary, module_names, summarise

        if not path.endswith((".py", ".pyi")):
            return
        names, is_package = module_names(path, [self.root])
        if not names:
            return
        summary = None
        if could_have_summary(source):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = ast.parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return
            summary = summarise(source, names[0], is_package, tree)
        known = self._names.get(path)
        if self._summaries.get(path) == summary and known:
            return
        self._names[path] = list(names)
        if summary is None:
            self._summaries.pop(path, None)
        else:
            self._summaries[path] = summary
        self._index = None
        self.version += 1
        self.changed = True

    def update_from_disk(self, path: str) -> None:
        try:
            with open(path, "rb") as handle:
                source = handle.read().decode("utf-8", errors="replace")
        except OSError:  # deleted
            if self._summaries.pop(path, None) is not None:
                self._index, self.version, self.changed = None, self.version + 1, True
            return
        self.update(path, source)

    def take_changes(self) -> bool:
        """Whether a summary changed since the last call (then other open files need a lint)."""
        changed, self.changed = self.changed, False
        return changed


# -- results -------------------------------------------------------------------------------------
@dataclass
class LintResult:
    report: FileReport
    config: ConfigState
    skipped: Optional[str] = None  # why the document was not linted (excluded, Markdown off)

    @property
    def findings(self) -> list:
        return self.report.findings

    @property
    def problems(self) -> list:
        """The file's own errors (could not parse, ...), without reprolint's internal errors."""
        return [e for e in self.report.errors if not is_internal(e)]

    @property
    def internal_errors(self) -> list:
        return [e for e in self.report.errors if is_internal(e)]


def is_internal(error: FileError) -> bool:
    return error.message.startswith(INTERNAL_ERROR)


@dataclass
class TextEdit:
    """Replace lines ``[first, last)`` (0-based, whole lines) of one text document."""

    uri: str
    first: int
    last: int
    new_text: str
    # Where the replaced stretch ends when it runs to the end of a text without a final newline:
    # (line, code-point column); None when it ends at the start of line ``last``.
    end: Optional[tuple] = None


@dataclass
class FixAction:
    title: str
    kind: str  # "quickfix" or "source.fixAll"
    edits: list  # TextEdit
    finding: Optional[Finding] = None


class Session:
    """The documents of one editor session and everything computed from them."""

    def __init__(self, root: Optional[str] = None, markdown: bool = False,
                 overrides: Optional[dict] = None, project_index: bool = True) -> None:
        self.config = ConfigStore(root, overrides)
        self.markdown = markdown  # lint Markdown even when `include` does not name it
        self.project = WorkspaceIndex(self.config.root)
        self.project.built = not project_index  # False: never scan the workspace
        self.documents: dict = {}  # uri -> OpenDocument
        self._linters: dict = {}  # Settings -> Linter

    # -- documents -----------------------------------------------------------------------------
    def open(self, document: OpenDocument) -> OpenDocument:
        self.documents[document.uri] = document
        return document

    def close(self, uri: str) -> Optional[OpenDocument]:
        return self.documents.pop(uri, None)

    def document_for(self, uri: str) -> Optional[OpenDocument]:
        """The open document ``uri`` is, or the notebook whose cell it is."""
        document = self.documents.get(uri)
        if document is not None:
            return document
        return next((d for d in self.documents.values() if any(c.uri == uri for c in d.cells)), None)

    @staticmethod
    def is_config_file(path: str) -> bool:
        return os.path.basename(path) in CONFIG_NAMES

    # -- linting -------------------------------------------------------------------------------
    def prepare(self) -> None:
        """What the first lint of any document needs and no document decides: the workspace's
        settings, its project index, and the enabled rules (importing them imports libcst, most
        of a first lint's time). Done once, before the first document opens."""
        settings = self.config.state_for(os.path.join(self.config.root, "_")).settings
        if not self.project.built:
            self.project.build(settings)
        self.linter(settings).rules  # noqa: B018 -- loads the rule classes, and libcst with them

    def linter(self, settings: Settings) -> Linter:
        linter = self._linters.get(settings)
        if linter is None:
            linter = self._linters[settings] = Linter(settings)
        return linter

    def lint(self, document: OpenDocument, content: Optional[str] = None,
             cancelled: Optional[Callable[[], bool]] = None) -> LintResult:
        """The document's findings, from the cache when neither its text nor its settings
        changed since the last lint. ``content``: the text to lint, taken by the caller when the
        editor may change the document meanwhile (default: its text now). ``cancelled``: asked
        while the rules run; True stops the lint with ``reprolint.engine.LintCancelled``."""
        config = self.config.state_for(document.path)
        content = document.content() if content is None else content
        if not self.project.built:
            self.project.build(self.config.state_for(os.path.join(self.config.root, "_")).settings)
        if document.kind == "python":
            self.project.update(document.path, content)
        key = (content, config.settings, config.error, self.project.version)
        if document.result is not None and document.result_key == key:
            return document.result
        result = self._lint(document, content, config, cancelled)
        document.result, document.result_key = result, key
        return result

    def _lint(self, document: OpenDocument, content: str, config: ConfigState,
              cancelled: Optional[Callable[[], bool]] = None) -> LintResult:
        report = FileReport(document.path)
        settings = config.settings
        skipped = self.skip_reason(document, settings)
        if skipped:
            return LintResult(report, config, skipped)
        linter = self.linter(settings)
        try:
            source = document_from_bytes(content.encode("utf-8"), document.path, document.kind)
        except SourceError as exc:
            report.errors.append(FileError(document.path, str(exc), line=exc.line))
            return LintResult(report, config)
        linter.project = self.project.index()
        linter.cancelled = cancelled
        try:
            return LintResult(linter.lint_document(source), config)
        finally:
            linter.cancelled = None

    def skip_reason(self, document: OpenDocument, settings: Settings) -> Optional[str]:
        from reprolint.discovery import FileSelector

        selector = FileSelector(settings)
        if document.kind == "markdown" and not (self.markdown or selector.included(document.path)):
            return "Markdown is linted only when enabled (extend-include = [\"*.md\"])"
        if os.path.isabs(document.path) and selector.force_excluded(document.path):
            return "excluded by the configuration"
        return None

    # -- fixes ---------------------------------------------------------------------------------
    def fix_actions(self, document: OpenDocument, findings: Optional[list] = None) -> list:
        """Quick fixes for ``findings`` (default: all of the document's) and "fix all safe".

        Edits come from the same fixers as ``--fix`` (``reprolint.fix``): the file is fixed as
        a whole, with only the chosen fixes enabled, and the difference becomes the edits.
        """
        result = self.lint(document)
        chosen = result.findings if findings is None else findings
        actions = []
        for finding in chosen:
            if finding.fix is not None:
                action = self.quick_fix(document, finding)
                if action is not None:
                    actions.append(action)
        for finding in chosen:
            action = self.noqa_action(document, finding)
            if action is not None:
                actions.append(action)
        if any(f.fix is not None and f.fix.applicability is Applicability.SAFE for f in result.findings):
            action = self.fix_all(document)
            if action is not None:
                actions.append(action)
        return actions

    def quick_fix(self, document: OpenDocument, finding: Finding) -> Optional[FixAction]:
        if document.kind == "markdown" or finding.fix is None:
            return None
        result = self.lint(document)
        same = [f for f in result.findings if f.code == finding.code and f.fix is not None]
        ordinal = next((i for i, f in enumerate(same) if f is finding), None)
        if ordinal is None:  # not a finding of the document's current text
            return None
        linter = OneFixLinter(self.linter(result.config.settings), finding.code, ordinal)
        edits = self._fixed_edits(document, linter, unsafe=True)
        if not edits:
            return None
        safety = finding.fix.applicability.value
        return FixAction(f"Fix {finding.code} ({safety}): {finding.fix.message}", "quickfix", edits, finding)

    def fix_all(self, document: OpenDocument) -> Optional[FixAction]:
        """Every safe fix of the document, as ``reprolint --fix`` would apply them."""
        if document.kind == "markdown":
            return None
        result = self.lint(document)
        edits = self._fixed_edits(document, self.linter(result.config.settings), unsafe=False)
        if not edits:
            return None
        return FixAction("Fix all safe reprolint findings in this file", "source.fixAll.reprolint", edits)

    def _fixed_edits(self, document: OpenDocument, linter, unsafe: bool) -> list:
        from reprolint.fix.apply import fix_source
        from reprolint.fix.notebook import fix_notebook

        if document.kind == "notebook":
            outcome = fix_notebook(document.content(), document.path, linter, unsafe)
            if outcome.errors or not outcome.changed:
                return []
            fixed_cells = [cell for cell in json.loads(outcome.source)["cells"] if cell.get("cell_type") == "code"]
            edits = []
            for cell, fixed in zip(document.code_cells(), fixed_cells):
                source = fixed["source"]
                edits.extend(line_edits(cell.uri, cell.text, "".join(source) if isinstance(source, list) else source))
            return edits
        outcome = fix_source(document.text, document.path, linter.settings, unsafe=unsafe, linter=linter)
        if outcome.errors or not outcome.changed:
            return []
        return line_edits(document.uri, document.text, outcome.source)

    def noqa_action(self, document: OpenDocument, finding: Finding) -> Optional[FixAction]:
        """``# noqa: CODE`` at the end of the finding's line, or the code added to the line's
        existing directive."""
        uri = document.target_uri(finding.extra.get("cell"))
        if uri is None:
            return None
        lines = split_lines(document.text_of(uri))
        index = finding.start.line - 1
        if not 0 <= index < len(lines):
            return None
        line = lines[index]
        if line.rstrip().endswith("\\"):
            return None  # a comment would end the continued line
        existing = LINE_NOQA.search(line)
        if existing is not None and existing.group("codes") is None:
            return None  # a bare noqa already suppresses everything
        if existing is not None:
            new_line = line[:existing.end("codes")] + f", {finding.code}" + line[existing.end("codes"):]
        else:
            stripped = line.rstrip()
            new_line = stripped + f"  # noqa: {finding.code}" + line[len(stripped):]
        edit = TextEdit(uri, index, index + 1, new_line, end=(index, len(line)))
        return FixAction(f"Add `# noqa: {finding.code}` (suppress on this line)", "quickfix", [edit], finding)


def line_edits(uri: str, before: str, after: str) -> list:
    """The smallest whole-line replacements that turn ``before`` into ``after``."""
    import difflib

    if before == after:
        return []
    old, new = lines_with_ends(before), lines_with_ends(after)
    edits = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        end = None
        if a_end == len(old) and old and not old[-1].endswith(("\n", "\r")):
            end = (len(old) - 1, len(old[-1]))  # the last line has no newline to end at
        edits.append(TextEdit(uri, a_start, a_end, "".join(new[b_start:b_end]), end))
    return edits


def document_kind(path: str, language_id: str = "") -> str:
    if language_id == "markdown":
        return "markdown"
    return kind_of(path)
