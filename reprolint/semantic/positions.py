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


def _paired(statements, stdlib: list) -> list:
    """(libcst statement, its first stdlib statement or None) for one body: a simple statement
    line holds one stdlib statement per ``;``-separated part."""
    pairs, position = [], 0
    for statement in statements:
        pairs.append((statement, stdlib[position] if position < len(stdlib) else None))
        position += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return pairs


def _inner_bodies(statement, stdlib) -> list:
    """(libcst child, the stdlib statements of the same body) for a compound statement's
    bodies that hold statements on lines of their own; an ``elif`` pairs with the stdlib ``If``
    it is, as a one-element body."""
    bodies = []

    def block(node, stdlib_body) -> None:
        if isinstance(node, cst.IndentedBlock) and isinstance(stdlib_body, list):
            bodies.append((node, stdlib_body))

    kind = type(statement)
    if kind in (cst.FunctionDef, cst.ClassDef, cst.With, cst.For, cst.While, cst.If, cst.Try, cst.TryStar):
        block(statement.body, getattr(stdlib, "body", None))
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.If) and isinstance(getattr(stdlib, "orelse", None), list) and stdlib.orelse:
        bodies.append((orelse, [stdlib.orelse[0]]))
    elif orelse is not None:
        block(orelse.body, getattr(stdlib, "orelse", None))
    if kind in (cst.Try, cst.TryStar):
        for handler, stdlib_handler in zip(statement.handlers, getattr(stdlib, "handlers", ())):
            block(handler.body, stdlib_handler.body)
        if statement.finalbody is not None:
            block(statement.finalbody.body, getattr(stdlib, "finalbody", None))
    return bodies


class Positions:
    """Every node's range in one module, computed on first use.

    Given the module's source and a way to its parent map, a node costs the code generation of
    the innermost statement around it that sits on lines of its own (a method's statement, not
    the whole class): the statement's first line comes from the stdlib parser, and its
    generated text must then be the source's text at that line, which proves every range inside
    it right. Anything else falls back to generating the whole module once. So a finding at the
    end of a generated 400 kB table does not pay for the table, nor one in a test method for the
    rest of its class.
    """

    def __init__(self, module: cst.Module, source: Optional[str] = None, parents=None,
                 stdlib_tree=None) -> None:
        self.module = module
        self._source = source
        self._parents = parents  # a callable returning the module's parent map
        self._stdlib_tree = stdlib_tree
        self._ranges: Optional[dict] = None  # every node's, once the whole module was generated
        self._partial: dict = {}  # the nodes of the statements generated so far
        self._done: set = set()  # ids of those statements
        self._stdlib_of: Optional[dict] = None  # id(libcst statement) -> its first stdlib statement
        self._line_starts: Optional[list] = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._ranges.get(node) if self._ranges is not None else self._partial.get(node)
        if found is None and self._ranges is None:
            if self._generate_around(node):
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

    def _generate_around(self, node: cst.CSTNode) -> bool:
        """Generate the innermost statement around ``node`` that the stdlib tree places; False
        where none is (the whole module is generated then)."""
        if self._source is None or self._parents is None:
            return False
        parents = self._parents()
        chain = [node]
        while chain[-1] is not self.module:
            parent = parents.get(chain[-1])
            if parent is None:
                return False
            chain.append(parent)
        chain.reverse()  # module, top-level statement, ..., node
        if self._stdlib_of is None and not self._map_statements():
            return False
        indents: list = []
        chosen, chosen_indents = None, None
        for outer, inner in zip(chain, chain[1:]):
            if isinstance(outer, cst.IndentedBlock):
                indents = indents + [outer.indent if outer.indent is not None else self.module.default_indent]
            if id(inner) in self._stdlib_of and isinstance(outer, (cst.Module, cst.IndentedBlock)):
                chosen, chosen_indents = inner, indents
        if chosen is None:
            return False
        if id(chosen) in self._done:
            return False  # generated already, and the node is not in it: not a node we index
        return self._generate_statement(chosen, chosen_indents)

    def _map_statements(self) -> bool:
        """Pair each libcst statement on lines of its own with its first stdlib statement, the
        top-level ones and, through compound statements, the nested ones."""
        tree = self._stdlib_tree
        if tree is None:
            try:
                tree = ast.parse(self._source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return False
        self._line_starts = [0] + [match.end() for match in _NEWLINE.finditer(self._source)]
        mapping: dict = {}
        stack = [(self.module.body, tree.body)]
        while stack:
            statements, stdlib = stack.pop()
            for statement, first in _paired(statements, stdlib):
                if first is None:
                    continue
                mapping[id(statement)] = first
                for child, stdlib_body in _inner_bodies(statement, first):
                    stack.append((child.body if isinstance(child, cst.IndentedBlock) else [child], stdlib_body))
        self._stdlib_of = mapping
        return True

    def _generate_statement(self, statement, indents: list) -> bool:
        line = self._codegen_start_line(statement)
        starts = self._line_starts
        state = _RecordingState(self.module)
        state.line = line
        state.indent_tokens = list(indents)
        statement._codegen(state)
        if line < 1 or line - 1 >= len(starts) or not self._source.startswith("".join(state.tokens), starts[line - 1]):
            return False  # not where the stdlib parser put it: generate the whole module instead
        self._partial.update(state.ranges)
        self._done.add(id(statement))
        return True

    def _codegen_start_line(self, statement) -> int:
        """The line where the code generation of ``statement`` begins: its first token's line
        (the stdlib parser's), less the comment and blank lines it owns before it."""
        first = self._stdlib_of[id(statement)]
        decorators = getattr(first, "decorator_list", None)
        line = decorators[0].lineno if decorators else first.lineno
        before = len(statement.leading_lines)
        libcst_decorators = getattr(statement, "decorators", ())
        if libcst_decorators:
            before += len(libcst_decorators[0].leading_lines)
        return line - before
