"""The Language Server Protocol side of ``reprolint server``, on pygls.

Diagnostics are published on open and save, and on change after a short quiet period (the
debounce), so a burst of keystrokes costs one lint. Every lint runs in one worker thread, one at
a time, so the event loop keeps reading the client's messages while a large file is linted and
a result for text that has changed since is dropped, never published.

Nothing here runs ``--verify``: the server never executes the user's code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from reprolint import __version__
from reprolint.config import validate_cli_selectors
from reprolint.engine import LintCancelled
from reprolint.docs import DOCS_URL, rule_markdown
from reprolint.registry import UnknownSelector
from reprolint.findings import FileError, Finding
from reprolint.rules import RULES_BY_CODE
from reprolint.server.framing import Frame, FrameReader, fd_reader, id_near_start
from reprolint.server.session import (
    Cell, FixAction, LintResult, OpenDocument, Session, document_kind, error_line, split_lines,
)

SOURCE = "reprolint"
DEFAULT_DEBOUNCE_MS = 50
# Documents larger than this are linted when saved, not as they are typed: a lint of a very large
# file takes seconds, and the lint worker is shared with every hover and code action.
DEFAULT_LIVE_LINT_MAX_BYTES = 256 << 10
FIX_ALL_KIND = "source.fixAll.reprolint"
FIX_ALL_COMMAND = "reprolint.applyFixAll"
UNNECESSARY_CODES = {"RPL900"}  # an unused noqa: the client greys it out
logger = logging.getLogger(__name__)


class ReprolintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "reprolint", __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithCells(
                    notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")])],
                save=True,
            ),
        )
        self.session = Session()
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.live_lint_max_bytes = DEFAULT_LIVE_LINT_MAX_BYTES  # 0: no limit
        self.told_save_only: set = set()  # documents already said to be linted on save only
        self.edits: dict = {}  # document uri -> how many times it changed: a running lint's cancel signal
        self.linting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reprolint-lint")
        self.pending: dict = {}  # document uri -> the debounced lint task
        self.logged: set = set()  # internal errors already logged, not repeated on every keystroke
        self.config_uris: set = set()  # configuration files with an error published
        self.loop: Optional[asyncio.AbstractEventLoop] = None

    # -- reading the client --------------------------------------------------------------------
    def start_io(self, stdin=None, stdout=None) -> None:
        """Serve over standard input and output as pygls does, but with reprolint's framing
        (:mod:`reprolint.server.framing`): a bad header is logged and answered, never fatal."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        reader = FrameReader(fd_reader(stdin or sys.stdin.buffer))
        try:
            asyncio.run(self.read_frames(reader))
        except BrokenPipeError:
            logger.error("reprolint server: the client closed its end of the connection")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    async def read_frames(self, reader: FrameReader) -> None:
        """Hand each frame the reader thread reads to :meth:`take_frame`, until the input ends."""
        self.loop = loop = asyncio.get_running_loop()
        frames: asyncio.Queue = asyncio.Queue()

        def read() -> None:  # a daemon thread: a read blocked on stdin must not hold up exit
            while True:
                try:
                    frame = reader.next_frame()
                except BaseException as exc:  # noqa: BLE001 - said on stderr, then the server ends
                    frame = exc
                loop.call_soon_threadsafe(frames.put_nowait, frame)
                if not isinstance(frame, Frame):
                    return

        threading.Thread(target=read, name="reprolint-read", daemon=True).start()
        while not self._stop_event.is_set():
            frame = await frames.get()
            if frame is None:
                logger.info("reprolint server: the client closed its input; ending")
                sys.stderr.write("reprolint server: the input ended; exiting\n")
                return
            if not isinstance(frame, Frame):
                sys.stderr.write(f"reprolint server: cannot read the client's messages: "
                                 f"{type(frame).__name__}: {frame}; exiting\n")
                return
            try:
                self.take_frame(frame)
            except (BrokenPipeError, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001 - a bug here must not leave the client unanswered for good
                self.log_error(f"reprolint server: internal error reading a message: {type(exc).__name__}: {exc}",
                               traceback.format_exc())

    def take_frame(self, frame: Frame) -> None:
        """Handle one message; a request that cannot be handled gets a JSON-RPC error, always."""
        data, parse_error = frame.data, None
        if frame.body is not None and data is None:
            try:
                data = json.loads(frame.body)
            except (ValueError, RecursionError) as exc:
                parse_error = f"{type(exc).__name__}: {exc}"
        if isinstance(data, dict):
            request_id = _request_id(data)
        else:  # skipped or not JSON: the id its first bytes say, if any
            request_id = frame.request_id if frame.body is None else id_near_start(frame.body)
        if frame.problem:
            self.log_problem(f"reprolint server: bad message framing: {frame.problem}")
            if isinstance(data, dict) and "method" not in data:
                return  # a response to the server's own request: nothing to answer
            if request_id is not None or (frame.body or b"").strip():
                self.reply_error(request_id, INVALID_REQUEST, f"Invalid Request: {frame.problem}")
            return
        if parse_error is not None:
            self.log_problem(f"reprolint server: a message is not JSON: {parse_error}")
            self.reply_error(request_id, PARSE_ERROR, f"Parse error: {parse_error}")
            return
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0" or not (
                isinstance(data.get("method", ""), str)):
            self.log_problem("reprolint server: a message is not a JSON-RPC 2.0 message")
            self.reply_error(request_id, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message")
            return
        is_request = "method" in data and "id" in data
        try:
            message = json.loads(frame.body, object_hook=self.protocol.structure_message)
        except Exception as exc:  # noqa: BLE001 - pygls says why on its logger
            text = f"Invalid params for {data.get('method')!r}: {_why_invalid(exc.__cause__ or exc)}"
            self.log_problem(f"reprolint server: {text}")
            if is_request:
                self.reply_error(request_id, INVALID_PARAMS, text)
            return
        try:
            self.protocol.handle_message(message)
        except SystemExit:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad message must not end the session
            self.log_error(f"reprolint server: internal error handling {data.get('method')!r}: "
                           f"{type(exc).__name__}: {exc}", traceback.format_exc())
            if is_request:
                self.reply_error(request_id, INTERNAL_ERROR, f"Internal error: {type(exc).__name__}: {exc}")

    def reply_error(self, request_id, code: int, message: str) -> None:
        """Answer a request with a JSON-RPC error (id null where the id could not be read)."""
        self.protocol._send_data({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})

    def log_problem(self, message: str) -> None:
        """A problem with what the client sent: on stderr and in the client's log."""
        sys.stderr.write(message + "\n")
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=message))

    # -- running a lint ------------------------------------------------------------------------
    async def in_worker(self, function, *args):
        """Run ``function`` in the lint thread: every call that may lint goes through it."""
        self.loop = asyncio.get_running_loop()
        try:
            pending = self.loop.run_in_executor(self.linting, function, *args)
        except RuntimeError:  # after shutdown the worker takes no more lints: nothing to wait for
            raise asyncio.CancelledError() from None
        return await pending

    def save_only(self, document: OpenDocument) -> bool:
        """Whether ``document`` is over the live-lint limit: linted when saved, not as typed
        (said once per document in the client's log)."""
        if not self.live_lint_max_bytes:
            return False
        size = len(document.content().encode("utf-8", "surrogatepass"))
        if size <= self.live_lint_max_bytes:
            self.told_save_only.discard(document.uri)
            return False
        if document.uri not in self.told_save_only:
            self.told_save_only.add(document.uri)
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Info,
                message=f"reprolint: {os.path.basename(document.path)} is {size} bytes, over liveLintMaxBytes "
                        f"({self.live_lint_max_bytes}): it is linted when saved, not while you type"))
        return True

    def schedule_live(self, document: OpenDocument, delay: float = 0.0) -> None:
        """Lint after an open or a change, unless the document is linted on save only (then a
        lint already queued for older text is cancelled)."""
        if self.save_only(document):
            previous = self.pending.pop(document.uri, None)
            if previous is not None:
                previous.cancel()
            return
        self.schedule(document, delay)

    def schedule(self, document: OpenDocument, delay: float = 0.0) -> asyncio.Future:
        """(Re)start the document's lint after ``delay`` seconds; a newer change cancels it."""
        previous = self.pending.pop(document.uri, None)
        if previous is not None:
            previous.cancel()
        task = self.pending[document.uri] = asyncio.ensure_future(self._lint_later(document, delay))
        return task

    async def relint_if_project_changed(self, after: Optional[asyncio.Future] = None,
                                        changed_on_disk: tuple = ()) -> None:
        """Other files see a module through the project index: when its summary changed (saved
        in the editor, or changed on disk), lint every open document again."""
        if after is not None:
            await asyncio.wait([after])
        for path in changed_on_disk:
            await self.in_worker(self.session.project.update_from_disk, path)
        if await self.in_worker(self.session.project.take_changes):
            self.relint_all()

    async def _lint_later(self, document: OpenDocument, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            content = document.content()
            result = await self.in_worker(self._safe_lint, document, content)
        except asyncio.CancelledError:
            return
        if result is None or self.session.documents.get(document.uri) is not document:
            return  # the lint failed (logged) or the document was closed meanwhile
        if document.content() != content:
            return  # changed while it was linted; that change has its own lint coming
        try:
            self.publish(document, result)
        except Exception as exc:  # a bug turning findings into diagnostics: logged, session goes on
            self.log_error(f"reprolint: internal error publishing {document.path}: {type(exc).__name__}: {exc}",
                           traceback.format_exc())
        if self.pending.get(document.uri) is asyncio.current_task():
            del self.pending[document.uri]

    def edited(self, uri: str) -> None:
        """The document changed (or closed): a lint of its older text stops at its next step."""
        self.edits[uri] = self.edits.get(uri, 0) + 1

    def _safe_lint(self, document: OpenDocument, content: str) -> Optional[LintResult]:
        generation = self.edits.get(document.uri, 0)
        try:
            return self.session.lint(document, content,
                                     cancelled=lambda: self.edits.get(document.uri, 0) != generation)
        except LintCancelled:
            return None  # the text changed meanwhile: its own lint is coming
        except Exception as exc:  # never end the session; the engine catches its own errors
            self.log_error(f"reprolint: internal error linting {document.path}: {type(exc).__name__}: {exc}",
                           traceback.format_exc())
            return None

    def log_error(self, message: str, detail: str = "") -> None:
        if message in self.logged:
            return
        self.logged.add(message)
        text = f"{message}\n{detail}" if detail else message
        params = types.LogMessageParams(type=types.MessageType.Error, message=text)
        if self.loop is None:
            self.window_log_message(params)
        else:  # may be called from the lint thread
            self.loop.call_soon_threadsafe(self.window_log_message, params)

    # -- publishing ----------------------------------------------------------------------------
    def publish(self, document: OpenDocument, result: LintResult) -> None:
        by_uri: dict = {uri: [] for uri in document.target_uris()}
        text = ClientText(document)
        for finding in result.findings:
            uri = document.target_uri(finding.extra.get("cell"))
            if uri in by_uri:
                by_uri[uri].append(finding_diagnostic(text, uri, finding))
        for error in result.problems:
            uri = document.target_uri(error.cell) or next(iter(by_uri), None)
            if uri in by_uri:
                by_uri[uri].append(error_diagnostic(text, uri, error, types.DiagnosticSeverity.Error))
        for note in result.report.notes:
            uri = document.target_uri(note.cell) or next(iter(by_uri), None)
            if uri in by_uri:
                by_uri[uri].append(error_diagnostic(text, uri, note, types.DiagnosticSeverity.Information))
        if result.config.error and by_uri:
            first = next(iter(by_uri))
            by_uri[first].insert(0, types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                message=f"invalid reprolint configuration, linting with the defaults: {result.config.error}",
                severity=types.DiagnosticSeverity.Error, source=SOURCE))
        for error in result.internal_errors:
            self.log_error(f"reprolint: {error.render()}", error.detail or "")
        self.publish_config_error(result)
        for uri, diagnostics in by_uri.items():
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, diagnostics=diagnostics, version=self._version_of(uri)))

    def _version_of(self, uri: str) -> Optional[int]:
        document = self.workspace.text_documents.get(uri)
        return document.version if document is not None else None

    def publish_config_error(self, result: LintResult) -> None:
        """The error on the configuration file itself, where the user fixes it."""
        path = result.config.path
        if not path:
            return
        uri = from_fs_path(path)
        if result.config.error:
            line = error_line(path, result.config.error) - 1
            self.config_uris.add(uri)
            diagnostics = [types.Diagnostic(range=types.Range(types.Position(line, 0), types.Position(line + 1, 0)),
                                            message=result.config.error, severity=types.DiagnosticSeverity.Error,
                                            source=SOURCE)]
        elif uri in self.config_uris:
            self.config_uris.discard(uri)
            diagnostics = []
        else:
            return
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def relint_all(self) -> None:
        for document in list(self.session.documents.values()):
            self.schedule_live(document)

    # -- documents -----------------------------------------------------------------------------
    def path_of(self, uri: str) -> str:
        path = to_fs_path(uri)
        if path and uri.startswith("file:"):
            return path
        root = self.session.config.root
        return os.path.join(root, uri.rsplit("/", 1)[-1] or "untitled.py")  # untitled:Untitled-1

    def lintable_kind(self, uri: str, language_id: str) -> Optional[str]:
        path = self.path_of(uri)
        kind = document_kind(path, language_id)
        if kind == "python" and (language_id == "python" or path.endswith((".py", ".pyi"))):
            return kind
        if kind == "markdown":
            return kind
        return None


class ClientText:
    """Positions in a document's text documents in the client's units. Each text is split into
    lines once, however many findings it has."""

    def __init__(self, document: OpenDocument) -> None:
        self.document = document
        self._lines: dict = {}

    def lines(self, uri: str) -> list:
        if uri not in self._lines:
            self._lines[uri] = split_lines(self.document.text_of(uri))
        return self._lines[uri]

    def position(self, uri: str, line: int, column: int) -> types.Position:
        """reprolint's 1-based line and code-point column -> the client's position encoding."""
        lines = self.lines(uri)
        position = types.Position(line=max(line - 1, 0), character=max(column - 1, 0))
        if position.line >= len(lines):
            return types.Position(line=len(lines), character=0)
        return SERVER.workspace.position_codec.position_to_client_units(lines, position)

    def span(self, uri: str, finding: Finding) -> types.Range:
        return types.Range(self.position(uri, finding.start.line, finding.start.column),
                           self.position(uri, finding.end.line, finding.end.column))


def finding_diagnostic(text: ClientText, uri: str, finding: Finding) -> types.Diagnostic:
    rule = RULES_BY_CODE.get(finding.code)
    return types.Diagnostic(
        range=text.span(uri, finding),
        message=finding.message,
        severity=types.DiagnosticSeverity.Warning,  # as the CLI's SARIF and GitHub reports
        code=finding.code,
        code_description=types.CodeDescription(href=DOCS_URL.format(code=finding.code)) if rule else None,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if finding.code in UNNECESSARY_CODES else None,
        data={"fix": finding.fix.applicability.value if finding.fix else None},
    )


def error_diagnostic(text: ClientText, uri: str, error: FileError,
                     severity: types.DiagnosticSeverity) -> types.Diagnostic:
    start = text.position(uri, error.line, error.column)
    end = types.Position(line=start.line + 1, character=0)
    return types.Diagnostic(range=types.Range(start, end), message=error.message, severity=severity, source=SOURCE)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def workspace_edit(document: OpenDocument, action: FixAction) -> types.WorkspaceEdit:
    changes: dict = {}
    text = ClientText(document)
    for edit in action.edits:
        lines = text.lines(edit.uri)
        codec = SERVER.workspace.position_codec
        start = types.Position(line=edit.first, character=0)
        if edit.end is not None:
            end = codec.position_to_client_units(lines, types.Position(line=edit.end[0], character=edit.end[1]))
        else:
            end = types.Position(line=edit.last, character=0)
        changes.setdefault(edit.uri, []).append(types.TextEdit(range=types.Range(start, end), new_text=edit.new_text))
    return types.WorkspaceEdit(changes=changes)


PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32602, -32603


def _request_id(data: dict):
    """The message's id where it is one JSON-RPC allows (a number or a string), else None."""
    value = data.get("id")
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _why_invalid(exc: BaseException) -> str:
    """What is wrong with a message's params, as cattrs says it field by field."""
    try:
        from cattrs import transform_error

        details = transform_error(exc, path="$")
    except Exception:  # noqa: BLE001 - not a cattrs error: its own words
        details = []
    if not details:
        lines = str(exc).strip().splitlines()
        details = [f"{type(exc).__name__}: {lines[0] if lines else ''}"]
    return "; ".join(details)[:500]


def _resolvable(ls: ReprolintServer) -> bool:
    """Whether the client fills a code action's edit on demand (codeAction/resolve)."""
    capability = ls.client_capabilities.text_document and ls.client_capabilities.text_document.code_action
    support = capability and capability.resolve_support
    return bool(support and "edit" in support.properties)


SERVER = ReprolintServer()


def build_server() -> ReprolintServer:
    return SERVER


# -- lifecycle -------------------------------------------------------------------------------------
# How long `initialize` waits for the session's preparation (imports, project index) before it
# answers anyway; the rest then finishes in the lint thread before the first lint.
PREPARE_WAIT_S = 10.0


@SERVER.feature(types.INITIALIZE)
async def initialize(ls: ReprolintServer, params: types.InitializeParams) -> None:
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    root = ls.workspace.root_path
    if not root and params.workspace_folders:
        root = to_fs_path(params.workspace_folders[0].uri)
    overrides = {}
    for key, field_name in (("select", "select"), ("ignore", "ignore"), ("extendSelect", "extend_select")):
        if isinstance(options.get(key), list):
            overrides[field_name] = tuple(str(item) for item in options[key])
    try:
        validate_cli_selectors(overrides)
    except UnknownSelector as exc:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Error,
            message=f"reprolint: initializationOptions: {exc}; using the configuration files' selection only"))
        overrides = {}
    ls.session = Session(root or os.getcwd(), markdown=bool(options.get("markdown", False)),
                         overrides=overrides, project_index=options.get("projectIndex", True) is not False)
    debounce = options.get("debounce")
    if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
        ls.debounce = debounce / 1000
    limit = options.get("liveLintMaxBytes")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        ls.live_lint_max_bytes = limit
    # The first lint would otherwise pay for importing libcst and the rules and for scanning the
    # workspace (about a second, measured by bench/lsp.py): do it now, while the editor waits for
    # this answer anyway, so that the first document's diagnostics come as fast as an edit's.
    # In the lint thread, which every later lint queues behind, so nothing runs twice.
    preparing = asyncio.get_running_loop().run_in_executor(ls.linting, _prepare, ls)
    try:
        await asyncio.wait_for(asyncio.shield(preparing), PREPARE_WAIT_S)
    except asyncio.TimeoutError:
        logger.info("reprolint: still preparing after %.0f s; the first lint will wait for it", PREPARE_WAIT_S)


def _prepare(ls: ReprolintServer) -> None:
    try:
        ls.session.prepare()
    except Exception as exc:  # a broken configuration is reported when a document is linted
        logger.info("reprolint: could not prepare the session: %s", exc)


@SERVER.feature(types.INITIALIZED)
async def initialized(ls: ReprolintServer, params: types.InitializedParams) -> None:
    capability = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
    if not (capability and capability.dynamic_registration):
        return  # configuration changes are then noticed when the file is saved in the editor
    # Configuration files, and modules changed outside the editor (the project index).
    watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}")
                for name in ("pyproject.toml", "reprolint.toml", "*.py")]
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
            id="reprolint-config-watcher", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
    except Exception as exc:  # a client that refuses: saving the file in the editor still works
        logger.info("could not watch configuration files: %s", exc)


@SERVER.feature(types.SHUTDOWN)
def shutdown(ls: ReprolintServer, params: None) -> None:
    for task in ls.pending.values():
        task.cancel()
    ls.pending.clear()
    ls.linting.shutdown(wait=False, cancel_futures=True)


# -- text documents ----------------------------------------------------------------------------
@SERVER.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ReprolintServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    if ls.session.is_config_file(ls.path_of(item.uri)):
        return
    kind = ls.lintable_kind(item.uri, item.language_id)
    if kind is None:
        return
    document = ls.session.open(OpenDocument(item.uri, ls.path_of(item.uri), kind, item.text,
                                                version=item.version))
    ls.schedule_live(document)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: ReprolintServer, params: types.DidChangeTextDocumentParams) -> None:
    document = ls.session.documents.get(params.text_document.uri)
    if document is None or document.kind == "notebook":
        return
    document.text = ls.workspace.get_text_document(params.text_document.uri).source
    document.version = params.text_document.version
    ls.edited(document.uri)
    ls.schedule_live(document, ls.debounce)


@SERVER.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: ReprolintServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.session.is_config_file(ls.path_of(uri)):
        ls.session.config.invalidate()
        ls.relint_all()
        return
    document = ls.session.documents.get(uri)
    if document is not None:
        linted = ls.schedule(document)  # at once: a save ends the burst of typing
        asyncio.ensure_future(ls.relint_if_project_changed(after=linted))


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ReprolintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.edited(uri)
    ls.told_save_only.discard(uri)
    document = ls.session.close(uri)
    if document is not None:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if document.kind == "python":  # closed without saving: the project sees the disk's text again
            asyncio.ensure_future(ls.relint_if_project_changed(changed_on_disk=(document.path,)))


# -- notebooks -----------------------------------------------------------------------------------
def _sync_cells(ls: ReprolintServer, document: OpenDocument, notebook: types.NotebookDocument) -> None:
    cells = []
    for cell in notebook.cells:
        text = ls.workspace.get_text_document(cell.document).source
        cells.append(Cell(cell.document, cell.kind == types.NotebookCellKind.Code, text))
    document.cells = cells
    document.metadata = dict(notebook.metadata or {})
    document.version = notebook.version


@SERVER.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_did_open(ls: ReprolintServer, params: types.DidOpenNotebookDocumentParams) -> None:
    notebook = params.notebook_document
    document = ls.session.open(OpenDocument(notebook.uri, ls.path_of(notebook.uri), "notebook"))
    _sync_cells(ls, document, ls.workspace.get_notebook_document(notebook_uri=notebook.uri) or notebook)
    ls.schedule_live(document)


@SERVER.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_did_change(ls: ReprolintServer, params: types.DidChangeNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    document = ls.session.documents.get(uri)
    notebook = ls.workspace.get_notebook_document(notebook_uri=uri)
    if document is None or notebook is None:
        return
    removed = {cell.uri for cell in document.cells} - {cell.document for cell in notebook.cells}
    _sync_cells(ls, document, notebook)
    ls.edited(document.uri)
    for cell_uri in removed:  # a deleted cell's diagnostics would otherwise stay on screen
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell_uri, diagnostics=[]))
    ls.schedule_live(document, ls.debounce)


@SERVER.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
def notebook_did_save(ls: ReprolintServer, params: types.DidSaveNotebookDocumentParams) -> None:
    document = ls.session.documents.get(params.notebook_document.uri)
    if document is not None:
        ls.schedule(document)


@SERVER.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_did_close(ls: ReprolintServer, params: types.DidCloseNotebookDocumentParams) -> None:
    document = ls.session.close(params.notebook_document.uri)
    if document is None:
        return
    task = ls.pending.pop(document.uri, None)
    if task is not None:
        task.cancel()
    for cell in document.cells:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[]))


# -- configuration -------------------------------------------------------------------------------
@SERVER.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def watched_files_changed(ls: ReprolintServer, params: types.DidChangeWatchedFilesParams) -> None:
    paths = [ls.path_of(change.uri) for change in params.changes]
    if any(ls.session.is_config_file(path) for path in paths):
        ls.session.config.invalidate()
        ls.relint_all()
    modules = tuple(path for path in paths if path.endswith((".py", ".pyi")) and not any(
        document.path == path for document in ls.session.documents.values()))  # open ones: the editor's text
    if modules:
        asyncio.ensure_future(ls.relint_if_project_changed(changed_on_disk=modules))


# -- hover and code actions --------------------------------------------------------------------
async def _current(ls: ReprolintServer, uri: str):
    """The open document ``uri`` belongs to and its findings for its current text."""
    document = ls.session.document_for(uri)
    if document is None:
        return None, None
    content = document.content()
    if ls.save_only(document) and (document.result_key is None or document.result_key[0] != content):
        return document, None  # not linted since it changed: answered at once, without findings
    result = await ls.in_worker(ls._safe_lint, document, content)
    return document, result


def _findings_at(text: ClientText, uri: str, result: LintResult, where: types.Range) -> list:
    found = []
    for finding in result.findings:
        if text.document.target_uri(finding.extra.get("cell")) != uri:
            continue
        span = text.span(uri, finding)
        if _overlaps(span, where):
            found.append((finding, span))
    return found


@SERVER.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: ReprolintServer, params: types.HoverParams) -> Optional[types.Hover]:
    uri = params.text_document.uri
    document, result = await _current(ls, uri)
    if result is None:
        return None
    here = types.Range(params.position, params.position)
    pages, spans = [], []
    for finding, span in _findings_at(ClientText(document), uri, result, here):
        rule = RULES_BY_CODE.get(finding.code)
        if rule is not None and rule_markdown(rule) not in pages:
            pages.append(rule_markdown(rule))
            spans.append(span)
    if not pages:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(pages)),
                       range=spans[0])


@SERVER.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
    resolve_provider=True))
async def code_action(ls: ReprolintServer, params: types.CodeActionParams) -> Optional[list]:
    uri = params.text_document.uri
    document, result = await _current(ls, uri)
    if result is None:
        return None
    only = params.context.only
    kinds = [getattr(kind, "value", kind) for kind in only or ()]
    wants_quick_fixes = not kinds or any("quickfix".startswith(kind) for kind in kinds)
    wants_fix_all = not kinds or any(FIX_ALL_KIND.startswith(kind) for kind in kinds)
    deferred = _resolvable(ls)
    actions = []
    if wants_quick_fixes:
        text = ClientText(document)
        here = _findings_at(text, uri, result, params.range)
        for finding in _offered_fixes(here, document):
            same = [f for f in result.findings if f.code == finding.code and f.fix is not None]
            ordinal = next(i for i, f in enumerate(same) if f is finding)
            safety = finding.fix.applicability.value
            title = f"Fix {finding.code} ({safety}): {finding.fix.message}"
            data = {"uri": uri, "action": "fix", "code": finding.code, "ordinal": ordinal}
            action = types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix,
                                      diagnostics=[finding_diagnostic(text, uri, finding)],
                                      is_preferred=safety == "safe", data=data)
            if deferred or await _fill(ls, action):
                actions.append(action)
        noqa = await ls.in_worker(lambda: [ls.session.noqa_action(document, f) for f, _ in here])
        for (finding, _), fix in zip(here, noqa):
            if fix is not None:
                actions.append(types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix,
                                                diagnostics=[finding_diagnostic(text, uri, finding)],
                                                edit=workspace_edit(document, fix)))
    safe = any(f.fix is not None and f.fix.applicability.value == "safe" for f in result.findings)
    if wants_fix_all and safe and document.kind != "markdown":
        kind = FIX_ALL_KIND if only else types.CodeActionKind.QuickFix
        action = types.CodeAction(title="Fix all safe reprolint findings in this file", kind=kind,
                                  data={"uri": uri, "action": "fixAll"})
        if deferred or await _fill(ls, action):
            actions.append(action)
    return actions


def _offered_fixes(here, document) -> list:
    """The findings whose quick fixes are offered here, safe (preferred) ones first. A fix that
    rewrites the very nodes a safer one already rewrites is the same edit under another title
    (RPL101 on `pipe(p, seed=1234)` seeds the generator with 1234, as RPL103 does): only the
    safer one is listed."""
    if document.kind == "markdown":
        return []
    fixable = [finding for finding, _ in here if finding.fix is not None]
    fixable.sort(key=lambda finding: finding.fix.applicability.value != "safe")  # stable: in place otherwise
    offered, claimed = [], set()
    for finding in fixable:
        nodes = {id(node) for node in finding.fix.nodes}
        if nodes & claimed:
            continue
        claimed |= nodes
        offered.append(finding)
    return offered


async def _fill(ls: ReprolintServer, action: types.CodeAction) -> bool:
    """Compute the action's edit; False when the fix would give nothing (or invalid code)."""
    data = action.data or {}
    document, result = await _current(ls, data.get("uri", ""))
    if result is None:
        return False

    def compute() -> Optional[FixAction]:
        if data.get("action") == "fixAll":
            return ls.session.fix_all(document)
        same = [f for f in result.findings if f.code == data.get("code") and f.fix is not None]
        ordinal = data.get("ordinal")
        if not isinstance(ordinal, int) or not 0 <= ordinal < len(same):
            return None
        return ls.session.quick_fix(document, same[ordinal])

    try:
        fix = await ls.in_worker(compute)
    except Exception as exc:  # a bug in a fixer: no edit, the session goes on
        ls.log_error(f"reprolint: internal error computing a fix: {type(exc).__name__}: {exc}",
                         traceback.format_exc())
        return False
    if fix is None:
        return False
    action.edit = workspace_edit(document, fix)
    return True


@SERVER.feature(types.CODE_ACTION_RESOLVE)
async def resolve_code_action(ls: ReprolintServer, action: types.CodeAction) -> types.CodeAction:
    if action.edit is None and not await _fill(ls, action):
        action.disabled = types.CodeActionDisabled(reason="the file changed; this fix no longer applies")
    return action


@SERVER.command(FIX_ALL_COMMAND)
async def apply_fix_all(ls: ReprolintServer, *arguments) -> None:
    """``reprolint.applyFixAll`` with a document URI: apply every safe fix through the client."""
    first = arguments[0] if arguments else None
    uri = first.get("uri") if isinstance(first, dict) else first if isinstance(first, str) else None
    action = types.CodeAction(title="fix all", data={"uri": uri, "action": "fixAll"})
    if uri and await _fill(ls, action):
        await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=action.edit, label="reprolint: fix all safe findings"))
