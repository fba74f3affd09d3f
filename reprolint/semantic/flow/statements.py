"""Statements in execution order: branches are analysed separately and joined; loop bodies run
twice, so a generator consumed at the end of one iteration is seen at the top of the next."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.flow.state import FlowState, Frame, join_states
from reprolint.semantic.flow.syntax import block, const_subscript, contains, is_main_guard, seed_test
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.model import AttributeAssignment
from reprolint.semantic.values import DictValue, LocalFunction, Pipeline, Value


class StatementFlow:
    """The Analyzer's methods for statements and assignment targets."""

    def _exec_block(self, stmts, state: Optional[FlowState], frame: Frame) -> Optional[FlowState]:
        for stmt in stmts:
            if state is None:
                return None
            state = self._exec_stmt(stmt, state, frame)
        return state

    def _exec_stmt(self, stmt, state: FlowState, frame: Frame) -> Optional[FlowState]:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                state = self._exec_small(small, state, frame)
                if state is None:
                    return None
            return state
        if isinstance(stmt, cst.If):
            return self._exec_if(stmt, state, frame)
        if isinstance(stmt, (cst.For, cst.While)):
            return self._exec_loop(stmt, state, frame)
        if isinstance(stmt, cst.Try) or type(stmt).__name__ == "TryStar":
            return self._exec_try(stmt, state, frame)
        if isinstance(stmt, cst.With):
            for item in stmt.items:
                self._eval(item.item, state, frame)
                if item.asname is not None:
                    self._bind_target(item.asname.name, None, state, frame)
            return self._exec_block(block(stmt.body), state, frame)
        if isinstance(stmt, cst.FunctionDef):
            for decorator in stmt.decorators:
                self._eval(decorator.decorator, state, frame)
            state.bind(stmt.name.value, LocalFunction(stmt.name.value))
            if frame.function is None:
                self.functions[stmt.name.value] = stmt
            self._pending.append((stmt, state, None))
            return state
        if isinstance(stmt, cst.ClassDef):
            self._analyse_class(stmt, state, frame)
            return state
        if isinstance(stmt, cst.Match):
            self._eval(stmt.subject, state, frame)
            branches = [self._exec_block(block(case.body), state.copy(), frame) for case in stmt.cases]
            return join_states(state, *branches)
        return state

    def _exec_if(self, stmt: cst.If, state: FlowState, frame: Frame) -> Optional[FlowState]:
        self._note_truth_tests(stmt.test, state)
        if frame.scope == "<module>" and frame.loop_depth == 0 and is_main_guard(stmt.test):
            self.model.main_guard = self.model.main_guard or stmt
        self._eval(stmt.test, state, frame)
        body = self._exec_block(block(stmt.body), state.copy(), frame)
        if stmt.orelse is None:
            other = state
        elif isinstance(stmt.orelse, cst.If):
            other = self._exec_if(stmt.orelse, state.copy(), frame)
        else:
            other = self._exec_block(block(stmt.orelse.body), state.copy(), frame)
        joined = join_states(body, other)
        tested, kind, on_body = seed_test(stmt.test)
        if joined is not None and tested is not None and self.guard_holds(tested, kind, state) is True:
            # ``if args.seed is not None: torch.manual_seed(args.seed)`` with ``default=42``: the
            # entry point takes that branch unless told otherwise; seeded as that branch leaves it.
            taken = body if on_body else other
            if taken is not None:
                joined.seeded = taken.seeded
        return joined

    def _exec_loop(self, stmt, state: FlowState, frame: Frame) -> Optional[FlowState]:
        inner = Frame(frame.scope, frame.params, frame.function, frame.loop_depth + 1)
        if isinstance(stmt, cst.For):
            self._eval(stmt.iter, state, frame)
        entry = state
        # Two passes: the second starts where the first iteration (or a ``continue``) left off.
        first = self._loop_pass(stmt, entry.copy(), inner)
        back = join_states(entry, first, *inner.continues)
        inner.continues = []
        second = self._loop_pass(stmt, back.copy(), inner)
        exit_state = join_states(entry, first, second, *inner.breaks, *inner.continues)
        if stmt.orelse is not None and exit_state is not None:
            exit_state = self._exec_block(block(stmt.orelse.body), exit_state, frame)
        return exit_state

    def _loop_pass(self, stmt, state: FlowState, frame: Frame) -> Optional[FlowState]:
        if isinstance(stmt, cst.For):
            self._bind_target(stmt.target, None, state, frame)
        else:
            self._note_truth_tests(stmt.test, state)
            self._eval(stmt.test, state, frame)
        return self._exec_block(block(stmt.body), state, frame)

    def _exec_try(self, stmt, state: FlowState, frame: Frame) -> Optional[FlowState]:
        body = self._exec_block(block(stmt.body), state.copy(), frame)
        may_raise = join_states(state, body)
        outcomes = []
        for handler in stmt.handlers:
            if may_raise is None:
                break
            h_state = may_raise.copy()
            if handler.name is not None:
                self._bind_target(handler.name.name, None, h_state, frame)
            outcomes.append(self._exec_block(block(handler.body), h_state, frame))
        if stmt.orelse is not None and body is not None:
            body = self._exec_block(block(stmt.orelse.body), body, frame)
        result = join_states(body, *outcomes)
        if stmt.finalbody is not None:
            start = result if result is not None else may_raise
            if start is not None:
                after = self._exec_block(block(stmt.finalbody.body), start.copy(), frame)
                result = after if result is not None else None
        return result

    def _exec_small(self, small, state: FlowState, frame: Frame) -> Optional[FlowState]:
        self._pending_placements = []
        self._statement = small
        if isinstance(small, cst.Assign):
            value = self._eval(small.value, state, frame)
            for target in small.targets:
                self._bind_target(target.target, value, state, frame, small.value)
            return state
        if isinstance(small, cst.AnnAssign):
            if small.value is not None:
                value = self._eval(small.value, state, frame)
                self._bind_target(small.target, value, state, frame, small.value)
            return state
        if isinstance(small, cst.AugAssign):
            self._eval(small.value, state, frame)
            key = dotted_name(small.target)
            if key is not None:
                state.bind(key, None)
            return state
        if isinstance(small, cst.Expr):
            self._eval(small.value, state, frame)
            return state
        if isinstance(small, cst.Return):
            if small.value is not None:
                self._eval(small.value, state, frame)
            return None
        if isinstance(small, cst.Raise):
            if small.exc is not None:
                self._eval(small.exc, state, frame)
            return None
        if isinstance(small, cst.Break):
            frame.breaks.append(state.copy())
            return None
        if isinstance(small, cst.Continue):
            frame.continues.append(state.copy())
            return None
        if isinstance(small, cst.Assert):
            self._eval(small.test, state, frame)
        return state

    def _bind_target(self, target, value, state: FlowState, frame: Frame, value_node=None) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            values = None
            if isinstance(value_node, (cst.Tuple, cst.List)) and len(value_node.elements) == len(elements):
                values = [self._peek_element(state, e.value) for e in value_node.elements]
            for index, element in enumerate(elements):
                element_value = values[index] if values is not None else None
                if isinstance(value, Pipeline) and index == 0 and values is None:
                    element_value = None
                self._bind_target(element, element_value, state, frame)
            return
        if isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, state, frame)
            return
        if isinstance(target, cst.Subscript):
            self._bind_item(target, value, state, frame)
            return
        key = dotted_name(target)
        if key is None:
            return
        state.bind(key, value)
        self.note_instance(key, value_node, frame)
        self.seed_evidence.note_value(key, value)
        for placement in self._pending_placements:
            placement.keys.add(key)
        if isinstance(target, cst.Attribute):
            qualified = self.imports.resolve(target)
            if qualified is not None and self.first_time("attribute", target):
                statement = self._statement_around(target)
                self.model.attribute_assignments.append(AttributeAssignment(target, qualified, value, statement))

    def _bind_item(self, target: cst.Subscript, value, state: FlowState, frame: Frame) -> None:
        """``d["key"] = value``: a dict literal's item, or an ``os.environ`` write."""
        key = dotted_name(target.value)
        container = state.get(key) if key else None
        index = const_subscript(target)
        if isinstance(index, str) and self._is_environ(target.value):
            self.note_env_write(index, value, self._statement_around(target), frame, "os.environ[...] =")
        if isinstance(container, DictValue) and isinstance(index, str):
            state.env[key] = container.with_item(index, value)
        elif key is not None and isinstance(container, DictValue):
            state.env[key] = None

    def _peek_element(self, state: FlowState, node) -> Optional[Value]:
        key = dotted_name(node)
        if key is not None and state.has(key):
            return state.get(key)
        return self._element_values.get(node)

    def _is_environ(self, node) -> bool:
        """``os.environ``, through imports; also unimported, as a notebook's ``%env NAME=VALUE``
        becomes ``os.environ[...] = ...`` in a notebook that may never import ``os``."""
        qualified = self.imports.resolve(node)
        if qualified is not None:
            return qualified == catalog.ENVIRON
        return dotted_name(node) == catalog.ENVIRON and "os" not in self.imports.aliases

    def _statement_around(self, target) -> cst.CSTNode:
        """The assignment statement binding ``target``, or the target itself elsewhere
        (``for``/``with`` targets)."""
        statement = self._statement
        if isinstance(statement, (cst.Assign, cst.AnnAssign)) and contains(statement, target):
            return statement
        return target
