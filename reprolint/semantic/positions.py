"""Node positions, as libcst's ``PositionProvider`` gives them, at a fraction of its cost.

``MetadataWrapper(module).resolve(PositionProvider)`` walks the module twice (a batched visit,
then a code generation that records a ``CodeRange`` per node, through a generator-based context
manager per node and a regex per token). On a 240 kB module that is 1.2 s, twice the parse.
This runs libcst's own code generation once with a leaner recording state: plain tuples, a
reusable context manager, newline counting without a regex, and ``CodeRange`` objects made only
for the nodes asked about. The ranges are the same (a test compares them on real code).
"""

from __future__ import annotations

import ast
import re
from typing import Optional

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange


class _SyntacticSpan:
    """``with state.record_syntactic_position(node, start_node=..., end_node=...)``: one object
    per state, re-armed for each use (uses nest, so the arguments live on a stack)."""

    __slots__ = ("state", "pending")

    def __init__(self, state: "_RecordingState") -> None:
        self.state = state
        self.pending: list = []

    def __enter__(self) -> None:
        state = self.state
        self.pending[-1][3] = (state.line, state.column)

    def __exit__(self, *exc) -> bool:
        state = self.state
        node, start_node, end_node, start = self.pending.pop()
        ranges = state.ranges
        start = ranges[start_node][0] if start_node is not None else start
        end = ranges[end_node][1] if end_node is not None else (state.line, state.column)
        ranges[node] = (start, end)
        return False


class _RecordingState(CodegenState):
    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.ranges: dict = {}  # node -> ((line, column), (line, column))
        self._starts: list = []
        self._span = _SyntacticSpan(self)

    def _advance(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            self.line += len(lines) - 1
            self.column = len(lines[-1])
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        if node not in self.ranges:  # a syntactic position, recorded inside, wins
            self.ranges[node] = (start, (self.line, self.column))

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        self._span.pending.append([node, start_node, end_node, None])
        return self._span


_NEWLINE = re.compile(r"\r\n?|\n")


class Positions:
    """Every node's range in one module, computed on first use.

    Given the module's source and a way to its parent map, a node inside a top-level statement
    costs the code generation of that statement only: the statement's first line comes from the
    stdlib parser, and the statement's generated text must then be the source's text at that
    line, which proves every range inside it right. Anything else falls back to generating the
    whole module once. So a finding at the end of a generated 400 kB table does not pay for
    the table.
    """

    def __init__(self, module: cst.Module, source: Optional[str] = None, parents=None,
                 stdlib_tree=None) -> None:
        self.module = module
        self._source = source
        self._parents = parents  # a callable returning the module's parent map
        self._stdlib_tree = stdlib_tree
        self._ranges: Optional[dict] = None  # every node's, once the whole module was generated
        self._partial: dict = {}  # the nodes of the top-level statements generated so far
        self._done: set = set()  # indexes of those statements
        self._first_lines: Optional[list] = None
        self._line_starts: Optional[list] = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._ranges.get(node) if self._ranges is not None else self._partial.get(node)
        if found is None and self._ranges is None:
            index = self._statement_index(node)
            if index is not None and index not in self._done and self._generate_statement(index):
                found = self._partial.get(node)
            if found is None:
                self._ranges = self._generate_module()
                self._partial = {}
        if found is None:
            found = self._ranges[node]
        (start_line, start_column), (end_line, end_column) = found
        return CodeRange(CodePosition(start_line, start_column), CodePosition(end_line, end_column))

    def _generate_module(self) -> dict:
        state = _RecordingState(self.module)
        self.module._codegen(state)
        return state.ranges

    def _statement_index(self, node: cst.CSTNode) -> Optional[int]:
        if self._source is None or self._parents is None:
            return None
        parents = self._parents()
        module = self.module
        while True:
            parent = parents.get(node)
            if parent is None:
                return None
            if parent is module:
                break
            node = parent
        for index, statement in enumerate(module.body):
            if statement is node:
                return index
        return None

    def _generate_statement(self, index: int) -> bool:
        line = self._codegen_start_line(index)
        if line is None:
            return False
        statement = self.module.body[index]
        state = _RecordingState(self.module)
        state.line = line
        statement._codegen(state)
        starts = self._line_starts
        if line - 1 >= len(starts) or not self._source.startswith("".join(state.tokens), starts[line - 1]):
            return False  # not where the stdlib parser put it: generate the whole module instead
        self._partial.update(state.ranges)
        self._done.add(index)
        return True

    def _codegen_start_line(self, index: int) -> Optional[int]:
        """The line where the code generation of top-level statement ``index`` begins: its first
        token's line (the stdlib parser's), less the comment and blank lines it owns before it."""
        if self._first_lines is None:
            self._first_lines = self._statement_first_lines()
            self._line_starts = [0] + [match.end() for match in _NEWLINE.finditer(self._source)]
        if index >= len(self._first_lines) or self._first_lines[index] is None:
            return None
        statement = self.module.body[index]
        before = len(statement.leading_lines)
        decorators = getattr(statement, "decorators", ())
        if decorators:
            before += len(decorators[0].leading_lines)
        return self._first_lines[index] - before

    def _statement_first_lines(self) -> list:
        """The first token's line of each top-level libcst statement, from the stdlib tree: a
        simple statement line holds one stdlib statement per ``;``-separated part."""
        tree = self._stdlib_tree
        if tree is None:
            try:
                tree = ast.parse(self._source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return []
        stdlib = tree.body
        lines: list = []
        position = 0
        for statement in self.module.body:
            if position >= len(stdlib):
                lines.append(None)
                continue
            first = stdlib[position]
            decorators = getattr(first, "decorator_list", None)
            lines.append(decorators[0].lineno if decorators else first.lineno)
            position += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        return lines
