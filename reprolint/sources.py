"""Source adapters: turn a file into one Python module text plus a map back to where each line
came from, so the engine parses every file once, whatever its kind.

- ``.py``/``.pyi``: the text itself.
- ``.ipynb``: the code cells, in order, as one module (a pipeline built in cell 2 is known in
  cell 5). IPython magics and shell lines become ``pass`` so the cell still parses, except
  ``%env NAME=VALUE``, which becomes the ``os.environ`` assignment it performs. Findings are
  reported at (cell, line within the cell); cells are numbered 1, 2, ... among *code* cells, as
  nbQA and ruff number them. A magic continued with a backslash is one line, as IPython reads
  it. A cell that does not parse on its own is blanked out and reported as an error at its own
  line; the other cells are still linted.
- ``.md``: the fenced ``python``/``py`` blocks, in order, as one module. Findings are reported at
  the real line and column of the Markdown file. A block that does not parse is blanked out and
  reported as a note; the rest of the page is still linted.

Lines are never added or removed when building the module, only blanked, so module line ``n``
always maps to ``origins[n - 1]``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Optional

from reprolint.findings import FileError, Finding, Position
from reprolint.notebook_positions import NotebookLocator


class SourceError(Exception):
    """A file that cannot be turned into Python text; the message names the reason, ``line``
    where in the file it is (1 when the whole file is the problem)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@contextlib.contextmanager
def quiet_python_warnings():
    """`"\\d"` or `1()` in the user's file: Python's warnings about it, raised while parsing it or
    evaluating its literals, are not findings, and printed on stderr they garble the report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@dataclass(frozen=True)
class LineOrigin:
    line: int  # line in the Markdown file, or line within the notebook cell (1-based)
    column_offset: int = 0  # columns to add (a fenced block indented inside a list item)
    cell: Optional[int] = None  # 1-based code-cell number, for notebooks


@dataclass
class Block:
    """A stretch of module lines that came from one cell or one fenced block."""

    first: int  # first module line (1-based)
    last: int  # last module line (inclusive)
    label: str  # "cell 3" or "python block at line 12"
    file_line: int = 1  # where the block starts in the file (a Markdown fence line)
    skipped: bool = False  # it did not parse and was blanked out


@dataclass
class SourceDocument:
    path: str
    python: str
    kind: str = "python"  # "python", "notebook" or "markdown"
    origins: Optional[list] = None  # LineOrigin per module line; None: lines are the file's
    blocks: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # FileError-shaped notes, never failures
    errors: list = field(default_factory=list)  # FileError, at the file's own positions (a skipped cell)
    file_lines: Optional[list] = None  # the Markdown page's own lines, for source excerpts
    locator: Optional[NotebookLocator] = None  # a notebook's cell positions in its JSON text

    # -- positions -------------------------------------------------------------------------
    def origin(self, line: int) -> Optional[LineOrigin]:
        if self.origins is None or not 1 <= line <= len(self.origins):
            return None
        return self.origins[line - 1]

    def _position(self, position: Position) -> tuple:
        origin = self.origin(position.line)
        if origin is None:
            return position, None
        return Position(origin.line, position.column + origin.column_offset), origin.cell

    def describe_line(self, line: int) -> str:
        """``line 12`` of the module, as the user should read it in a message."""
        origin = self.origin(line)
        if origin is None:
            return f"line {line}"
        if origin.cell is not None:
            return f"cell {origin.cell}, line {origin.line}"
        return f"line {origin.line}"

    def relocate(self, report) -> None:
        """Move a FileReport's positions from module lines back to the file's own."""
        if self.origins is None:
            report.notes.extend(self.notes)
            report.errors.extend(self.errors)
            return
        for finding in report.findings:
            self._relocate_finding(finding)
        for error in report.errors:
            origin = self.origin(error.line)
            if origin is not None:
                error.line, error.column = origin.line, error.column + origin.column_offset
                error.cell = origin.cell
                if self.locator is not None and origin.cell is not None:
                    error.file_position = self.locator.position(origin.cell, error.line, error.column)
        report.notes.extend(self.notes)
        for error in self.errors:  # a skipped cell's error is already at its cell's own line
            if self.locator is not None and error.cell is not None:
                error.file_position = self.locator.position(error.cell, error.line, error.column)
        report.errors.extend(self.errors)
        report.errors.sort(key=lambda e: (e.cell or 0, e.line, e.column))
        report.findings.sort(key=lambda f: (f.extra.get("cell") or 0, f.start.line, f.start.column, f.code))

    def _relocate_finding(self, finding: Finding) -> None:
        finding.start, cell = self._position(finding.start)
        finding.end, end_cell = self._position(finding.end)
        if cell is not None:
            finding.extra["cell"] = cell
            if self.locator is not None:  # where the cell's text is in the .ipynb file (SARIF)
                start = self.locator.position(cell, finding.start.line, finding.start.column)
                end = self.locator.position(end_cell or cell, finding.end.line, finding.end.column)
                if start is not None and end is not None:
                    finding.extra["file_region"] = [*start, *end]
        if self.file_lines is not None and 1 <= finding.start.line <= len(self.file_lines):
            finding.extra["source_line"] = self.file_lines[finding.start.line - 1]
        # Messages name other lines ("consumed by the call at line 12") in module numbering.
        finding.message = _LINE_REFERENCE.sub(
            lambda match: self.describe_line(int(match.group(1))), finding.message)

    # -- unparsable blocks -----------------------------------------------------------------
    def skip_unparsable_blocks(self, error_line: int) -> bool:
        """Blank every block that does not parse on its own and report it. Returns whether
        anything was blanked (the caller then parses again). A Markdown block is skipped with a
        note (the page's examples are still linted); a notebook cell is skipped with an error
        naming the cell and the place in it (run, it would fail), and the other cells are
        still linted. Python files have no blocks: a syntax error is the file's error."""
        if self.kind not in ("markdown", "notebook"):
            return False
        lines = self.python.splitlines(keepends=True)
        problems = {id(block): _syntax_error(lines, block) for block in self.blocks if not block.skipped}
        bad = [block for block in self.blocks if problems.get(id(block)) is not None]
        if not bad:  # the two parsers disagree: blame the block the error is in
            bad = [block for block in self.blocks
                   if not block.skipped and block.first <= error_line <= block.last]
        bad = [block for block in bad if any(lines[i].strip() for i in range(block.first - 1, block.last))]
        for block in bad:
            self._report_skipped(block, problems.get(id(block)), error_line)
            block.skipped = True
            for index in range(block.first - 1, block.last):
                lines[index] = "\n"
        self.python = "".join(lines)
        return bool(bad)

    def _report_skipped(self, block: Block, problem: Optional[SyntaxError], error_line: int) -> None:
        if self.kind == "markdown":
            reason = _describe(problem, "block") if problem else "does not parse with the rest of the page"
            self.notes.append(FileError(self.path, f"{block.label} skipped: could not parse: {reason}",
                                        block.file_line, 1))
            return
        if problem is not None:
            line = min(block.first + (problem.lineno or 1) - 1, block.last)
            origin, column = self.origin(line), problem.offset or 1
            reason = problem.msg
        else:
            origin, column = self.origin(error_line), 1
            reason = "does not parse with the other cells"
        self.errors.append(FileError(self.path, f"could not parse: {reason}; the cell was skipped, the "
                                                "other cells were linted", origin.line, column, cell=origin.cell))


_LINE_REFERENCE = re.compile(r"\bline (\d+)\b")


def _syntax_error(lines: list, block: Block) -> Optional[SyntaxError]:
    """Why the block does not parse on its own (line numbers within the block), or None."""
    text = "".join(lines[block.first - 1:block.last])
    try:
        with quiet_python_warnings():
            ast.parse(text)
    except SyntaxError as exc:
        return exc
    except MemoryError as exc:
        return SyntaxError(parser_gave_up(exc))
    except (ValueError, RecursionError) as exc:
        return SyntaxError(str(exc) or type(exc).__name__)
    return None


def parser_gave_up(exc: MemoryError) -> str:
    """Why a parser raised MemoryError: CPython's own parser raises it, without a message, when
    its stack overflows on an expression nested tens of thousands deep (`- - - ... 1`)."""
    said = f": {exc}" if str(exc) else ""
    return f"too deeply nested for Python's parser, or too large for the memory available (MemoryError{said})"


def _describe(problem: SyntaxError, what: str) -> str:
    return f"{problem.msg} ({what} line {problem.lineno})" if problem.lineno else problem.msg


# -- decoding ----------------------------------------------------------------------------------
def decode_source(data: bytes) -> str:
    """Bytes to text, honouring a BOM and a PEP 263 coding cookie, as Python itself does."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("file is UTF-16 or UTF-32 encoded; Python source must be UTF-8 "
                          "(or declare its encoding with a PEP 263 coding comment)")
    if b"\x00" in data:
        raise SourceError("file contains NUL bytes (binary file?)")
    try:
        encoding, first_lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" in str(exc):
            encoding, first_lines = "utf-8", []  # not UTF-8 in the first two lines: said below
        else:
            raise SourceError(f"bad encoding declaration: {exc}") from None
    try:
        text = data.decode(encoding)
    except LookupError as exc:
        raise SourceError(f"not valid {encoding} text ({exc})") from None
    except UnicodeDecodeError as exc:
        declared = any(_CODING_COOKIE.match(line) for line in first_lines)
        raise _undecodable(data, exc, encoding if declared else None) from None
    return text.lstrip("\ufeff")


# PEP 263: a comment on line 1 or 2 naming the file's encoding (tokenize's own pattern).
_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _undecodable(data: bytes, exc: UnicodeDecodeError, declared: Optional[str]) -> SourceError:
    """Where the bytes stop being text: the line, the byte offset and the byte, and what to do."""
    line = data.count(b"\n", 0, exc.start) + 1
    where = f"at line {line} (byte offset {exc.start}: 0x{data[exc.start]:02x}, {exc.reason})"
    if declared:
        return SourceError(f"not valid {declared} text {where}, although a PEP 263 coding declaration names {declared}",
                           line)
    return SourceError(f"not valid UTF-8 {where} and no PEP 263 coding declaration (if the file is in another "
                       "encoding, say which on line 1 or 2, e.g. `# -*- coding: latin-1 -*-`)", line)


def _decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{what} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None


def kind_of(path: str) -> str:
    lowered = path.lower()
    if lowered.endswith(".ipynb"):
        return "notebook"
    if lowered.endswith((".md", ".markdown")):
        return "markdown"
    return "python"


def document_from_bytes(data: bytes, path: str, kind: Optional[str] = None) -> SourceDocument:
    kind = kind or kind_of(path)
    if kind == "notebook":
        return notebook_document(_decode_utf8(data, "notebook"), path)
    if kind == "markdown":
        return markdown_document(_decode_utf8(data, "Markdown file"), path)
    return SourceDocument(path, decode_source(data))


def read_bytes(path: str) -> bytes:
    """A file's bytes, or a SourceError naming why it could not be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SourceError(f"could not read: {exc.strerror or exc}") from None


def read_source(path: str) -> str:
    """A Python file's text (no notebook or Markdown adaptation)."""
    return decode_source(read_bytes(path))


def read_document(path: str) -> SourceDocument:
    return document_from_bytes(read_bytes(path), path)


# -- notebooks ---------------------------------------------------------------------------------
# Cell magics whose body is still Python; any other ``%%magic`` cell (``%%bash``, ``%%writefile``)
# is not Python and is skipped.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# ``%pip install x``, ``!nvidia-smi``, ``files = !ls``, ``x = %env``, ``obj?``, ``??obj``.
_MAGIC_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)?(?:[%!]|\?)")
_HELP_LINE = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w.]*\?{1,2}\s*$")
# With automagic (IPython's default) a magic needs no ``%``: ``cd PhotoMaker/``, ``pip install x``.
# Such a line is a magic only when it is not Python (``cd = 3`` and ``ls`` alone are Python).
_AUTOMAGIC_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:cd|pwd|ls|ll|cat|cp|mv|rm|rmdir|mkdir|pip|conda|mamba|env|set_env|"
    r"load_ext|reload_ext|autoreload|matplotlib|time|timeit|run|who|whos)\s+\S")


def _cell_text(cell, number: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise SourceError(f"not a valid notebook: code cell {number} has a `source` that is neither "
                      "a string nor a list of strings")


def _python_lines(text: str) -> list:
    """The cell's lines with magics and shell escapes replaced by ``pass`` (same indentation),
    so an indented ``!pip install`` inside a block still parses and line numbers stay put. A
    magic continued with a backslash (``!pip install a \\`` then ``  b``) is one line, as
    IPython reads it: one statement over as many lines (``pass \\`` then a blank line)."""
    lines = text.splitlines()
    if lines and lines[0].startswith("%%"):
        end = _end_of_continued_line(lines, 0)
        header = _joined(lines, 0, end)
        magic = header[2:].split(maxsplit=1)[0] if header[2:].strip() else ""
        first = _spanning("pass", end)
        if magic not in PYTHON_CELL_MAGICS:
            return first + [""] * (len(lines) - end)
        return first + _strip_magics(lines[end:])
    return _strip_magics(lines)


def _strip_magics(lines: list) -> list:
    """Each magic or shell line that starts a statement, with its continuation lines, as
    ``_strip_magic`` makes it; a line inside brackets or a string is Python (``% x`` continuing
    an expression is the modulo operator, not a magic)."""
    python = []
    scanner = _LogicalLineScanner()
    index = 0
    while index < len(lines):
        if scanner.at_statement_start:
            end = _end_of_continued_line(lines, index)
            converted = _strip_magic(_joined(lines, index, end))
            if converted is not None:
                python.extend(_spanning(converted, end - index))
                index = end
                continue
        python.append(lines[index])
        scanner.feed(lines[index])
        index += 1
    return python


def _spanning(statement: str, count: int) -> list:
    """``statement`` as ``count`` lines: continued with backslashes onto blank lines, so that it
    keeps the magic's continuation lines (a fix that inserts after it lands after all of them)."""
    if count == 1:
        return [statement]
    return [statement + " \\"] + ["\\"] * (count - 2) + [""]


def _end_of_continued_line(lines: list, start: int) -> int:
    """The index after the last line of the logical line starting at ``start``, for a line
    IPython continues: one that ends with a backslash (IPython's ``find_end_of_continued_line``)."""
    end = start + 1
    while end < len(lines) and lines[end - 1].endswith("\\"):
        end += 1
    return end


def _joined(lines: list, start: int, end: int) -> str:
    """Lines ``start:end`` as one line, each backslash and line break a space, as IPython joins them."""
    if end == start + 1:
        return lines[start]
    return " ".join([line[:-1].rstrip() for line in lines[start:end - 1]] + [lines[end - 1]])


class _LogicalLineScanner:
    """Follows Python lines to tell whether the next line starts a statement: it does not when a
    bracket or a triple-quoted string is still open, or the last line ended with a backslash."""

    def __init__(self) -> None:
        self.depth = 0  # open brackets
        self.quote: Optional[str] = None  # the delimiter of a string still open
        self.continued = False  # the last line ended with a backslash

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        index = 0
        comment = False
        while True:
            if self.quote is None:
                match = _CODE_MARK.search(line, index)
                if match is None:
                    break
                mark, index = match.group(), match.end()
                if mark == "#":
                    comment = True
                    break
                if mark in "([{":
                    self.depth += 1
                elif mark in ")]}":
                    self.depth = max(0, self.depth - 1)
                else:
                    self.quote = mark
            else:
                match = _STRING_MARK[self.quote].search(line, index)
                if match is None:
                    break
                index = match.end()
                if not match.group().startswith("\\"):  # not an escape: the closing quote
                    self.quote = None
        self.continued = line.endswith("\\") and not comment and (self.quote is None or len(self.quote) == 1)
        if self.quote is not None and len(self.quote) == 1 and not self.continued:
            self.quote = None  # an unterminated one-line string ends with its line


_CODE_MARK = re.compile(r"""\"\"\"|'''|["'#()\[\]{}]""")
# Inside a string: an escape (a backslash and the next character, or a final backslash), or its quote.
_STRING_MARK = {quote: re.compile(r"\\.|\\$|" + re.escape(quote)) for quote in ('"', "'", '"""', "'''")}


# ``%env CUBLAS_WORKSPACE_CONFIG=:4096:8`` sets an environment variable, which determinism rules
# care about: it becomes the equivalent ``os.environ`` assignment instead of ``pass``.
_ENV_MAGIC = re.compile(r"^(?P<indent>[ \t]*)%(?:set_)?env\s+(?P<name>[A-Za-z_]\w*)(?:\s*=\s*|\s+)(?P<value>.*?)\s*$")


def _strip_magic(line: str) -> Optional[str]:
    """The Python that stands for a magic or shell line, or None when ``line`` is Python."""
    env = _ENV_MAGIC.match(line)
    if env is not None:
        return (f"{env.group('indent')}import os; "
                f"os.environ[{env.group('name')!r}] = {env.group('value')!r}")
    match = _MAGIC_LINE.match(line) or _HELP_LINE.match(line) or _automagic(line)
    if match is None:
        return None
    return f"{match.group('indent')}pass"


def _automagic(line: str) -> Optional[re.Match]:
    match = _AUTOMAGIC_LINE.match(line)
    if match is None:
        return None
    try:
        with quiet_python_warnings():
            ast.parse(line.strip())
    except (SyntaxError, ValueError):
        return match
    return None


def notebook_document(text: str, path: str) -> SourceDocument:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not a valid notebook: invalid JSON at line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}") from None
    except RecursionError:  # json nests by recursion: "[[[[...]]]]" a few thousand deep
        raise SourceError("not a valid notebook: JSON nested too deeply") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        if isinstance(notebook, dict) and "worksheets" in notebook:
            raise SourceError("not a valid notebook: nbformat 3 is not supported (convert it with "
                              "`jupyter nbconvert --to notebook`)")
        raise SourceError("not a valid notebook: no `cells` list at the top level (nbformat 4 expected)")
    metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    language = _notebook_language(metadata)
    document = SourceDocument(path, "", kind="notebook", origins=[], locator=NotebookLocator(text))
    if language not in (None, "python"):
        document.notes.append(FileError(path, f"not a Python notebook (language: {language}); skipped"))
        return document
    pieces = []
    number = 0
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise SourceError(f"not a valid notebook: cell {index + 1} (counting every cell) has no "
                              "`cell_type`")
        if cell["cell_type"] != "code":
            continue
        number += 1
        lines = _python_lines(_cell_text(cell, number))
        if not lines:
            continue
        first = len(document.origins) + 1
        for line_number, line in enumerate(lines, start=1):
            pieces.append(line + "\n")
            document.origins.append(LineOrigin(line_number, 0, number))
        document.blocks.append(Block(first, len(document.origins), f"cell {number}"))
    document.python = "".join(pieces)
    return document


def _notebook_language(metadata: dict) -> Optional[str]:
    for key, field_name in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(field_name), str):
            return section[field_name].lower()
    return None


# -- Markdown ----------------------------------------------------------------------------------
PYTHON_FENCE_LANGUAGES = frozenset({"python", "py", "python3", "py3"})
_FENCE_OPEN = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\n]*)$")


def _fence_language(info: str) -> str:
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    return word.strip("{}").lstrip(".").split(",")[0].lower()


def markdown_document(text: str, path: str) -> SourceDocument:
    """Fenced ``python``/``py`` blocks (backticks or tildes, CommonMark rules, any indentation)
    as one module; every other line of the page becomes a blank line of the module."""
    lines = text.splitlines()
    document = SourceDocument(path, "", kind="markdown", origins=[], file_lines=lines)
    module_lines = []
    index = 0

    def blank(md_line: int) -> None:
        module_lines.append("")
        document.origins.append(LineOrigin(md_line))

    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if opening is None or (opening.group("fence")[0] == "`" and "`" in opening.group("info")):
            blank(index + 1)
            index += 1
            continue
        indent = len(opening.group("indent"))
        fence = opening.group("fence")
        is_python = _fence_language(opening.group("info")) in PYTHON_FENCE_LANGUAGES
        blank(index + 1)  # the opening fence line
        body_start = index + 1
        end = body_start
        closing = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = lines[body_start:end]
        if is_python and any(line.strip() for line in body):
            first = len(module_lines) + 1
            for offset, (line, column_offset) in enumerate(_block_lines(body, indent)):
                module_lines.append(line)
                document.origins.append(LineOrigin(body_start + offset + 1, column_offset))
            document.blocks.append(Block(first, len(module_lines),
                                         f"python block at line {index + 1}", index + 1))
        else:
            for offset in range(len(body)):
                blank(body_start + offset + 1)
        if end < len(lines):
            blank(end + 1)  # the closing fence line
        index = end + 1
    document.python = "".join(line + "\n" for line in module_lines)
    return document


def _block_lines(body: list, indent: int) -> list:
    """(module text, column offset) per line of a fenced block: the fence's indentation removed,
    and ``>>>``/``...`` prompts of a doctest-style block removed (their output lines blanked)."""
    dedented = []
    for line in body:
        removable = len(line) - len(line.lstrip(" "))
        cut = min(indent, removable)
        dedented.append((line[cut:], cut))
    if any(text.startswith(">>>") for text, _ in dedented):
        prompted = []
        for text, cut in dedented:
            if text.startswith((">>> ", "... ")) or text in (">>>", "..."):
                prompted.append((text[4:], cut + 4))
            else:
                prompted.append(("", cut))
        return prompted
    return dedented
