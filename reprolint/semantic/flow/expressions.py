"""Expressions: the abstract value of each, with the events inside it recorded in order. One
method per kind of node, found by the node's type (``ExpressionFlow._eval``)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.families import UNHANDLED, attribute_handler, reference_handler
from reprolint.semantic.flow.calls import CallFlow
from reprolint.semantic.flow.state import FlowState, Frame, join_states
from reprolint.semantic.flow.syntax import compares, const_subscript, contains, fold, is_zero
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.model import ListAliasing, SeedTruthTest
from reprolint.semantic.tree import child_nodes, is_subclass, literal_value
from reprolint.semantic.values import (
    Const,
    Device,
    DictValue,
    Generator,
    GeneratorList,
    QualifiedRef,
    Sequence,
    Tensor,
    Value,
    join,
    possible_values,
)

_CONSTANT_NAMES = {"True": True, "False": False, "None": None}
# Builtins a family gives a value to: ``dict(num_workers=4)`` (``families/containers``).
_BUILTIN_CALLABLES = {name.rpartition(".")[2]: name for name in catalog.BUILTIN_DICT_CLASSES}


class ExpressionFlow:
    """The Analyzer's methods for expressions."""

    def _eval(self, node, state: FlowState, frame: Frame) -> Optional[Value]:
        """The abstract value of an expression; records the events inside it, in order."""
        evaluate = _EVALUATORS.get(type(node))
        if evaluate is None:
            self._eval_children(node, state, frame)
            return None
        return evaluate(self, node, state, frame)

    def _eval_children(self, node, state: FlowState, frame: Frame) -> None:
        for child in child_nodes(node):
            kind = type(child)
            if is_subclass(kind, cst.BaseExpression):
                self._eval(child, state, frame)
            elif kind is cst.FunctionDef or kind is cst.ClassDef:
                continue
            else:
                self._eval_children(child, state, frame)

    # ------------------------------------------------------------------ names

    def _eval_name(self, node: cst.Name, state: FlowState, frame: Frame) -> Optional[Value]:
        if state.has(node.value):
            return state.get(node.value)
        if node.value in _CONSTANT_NAMES:
            return Const(_CONSTANT_NAMES[node.value])
        qualified = self.imports.resolve_dotted(node.value)
        if qualified is None and node.value in _BUILTIN_CALLABLES:
            return QualifiedRef(_BUILTIN_CALLABLES[node.value])  # not rebound or imported
        return self._reference(qualified)

    def _reference(self, qualified: Optional[str]) -> Optional[Value]:
        """The value an imported name holds: what its family says (``torch.default_generator``),
        or the reference itself."""
        if not qualified:
            return None
        handler = reference_handler(qualified)
        return handler(self) if handler is not None else QualifiedRef(qualified)

    def _eval_attribute(self, node: cst.Attribute, state: FlowState, frame: Frame) -> Optional[Value]:
        key = dotted_name(node)
        if key is not None and state.has(key):
            return state.get(key)
        base = self._eval(node.value, state, frame)
        attr = node.attr.value
        if isinstance(base, QualifiedRef):
            return self._reference(f"{base.name}.{attr}")
        for handler in attribute_handler(base, attr):
            value = handler(self, node, base)
            if value is not UNHANDLED:
                return value
        return None

    # ------------------------------------------------------------------ literals

    def _eval_integer(self, node: cst.Integer, state: FlowState, frame: Frame) -> Optional[Value]:
        try:
            return Const(int(literal_value(node)))
        except Exception:
            return None

    def _eval_float(self, node: cst.Float, state: FlowState, frame: Frame) -> Optional[Value]:
        return Const(float(literal_value(node)))

    def _eval_string(self, node, state: FlowState, frame: Frame) -> Optional[Value]:
        try:
            text = literal_value(node)
        except Exception:
            return None
        return Const(text) if isinstance(text, str) else None

    def _eval_fstring(self, node: cst.FormattedString, state: FlowState, frame: Frame) -> Optional[Value]:
        for part in node.parts:
            self._eval_children(part, state, frame)
        head = node.parts[0] if node.parts else None
        if isinstance(head, cst.FormattedStringText) and head.value.startswith(("cuda", "mps")):
            return Device("cuda:?" if head.value.startswith("cuda") else "mps")
        return None

    def _eval_dict(self, node: cst.Dict, state: FlowState, frame: Frame) -> Optional[Value]:
        items = []
        known = True
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = self._eval(element.key, state, frame)
                value = self._eval(element.value, state, frame)
                if isinstance(key, Const) and isinstance(key.value, str):
                    items.append((key.value, value))
                else:
                    known = False
            else:
                known = False
                self._eval(element.value, state, frame)
        return DictValue(tuple(items)) if known else None

    def _eval_sequence(self, node, state: FlowState, frame: Frame) -> Optional[Value]:
        values = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                self._eval(element.value, state, frame)
                values.append(None)
            else:
                values.append(self._eval(element.value, state, frame))
        for element, value in zip(node.elements, values):
            self._element_values[element.value] = value
        if values and all(isinstance(v, Generator) for v in values):
            objs = tuple(v.obj for v in values)
            aliased = len({id(o) for o in objs}) < len(objs)
            return GeneratorList(objs, aliased)
        if any(isinstance(v, (Generator, GeneratorList)) for v in values):
            return None
        starred = any(isinstance(e, cst.StarredElement) for e in node.elements)
        return Sequence(None if starred else len(values))

    # ------------------------------------------------------------------ operators

    def _eval_unary(self, node: cst.UnaryOperation, state: FlowState, frame: Frame) -> Optional[Value]:
        operand = self._eval(node.expression, state, frame)
        if isinstance(node.operator, cst.Minus) and isinstance(operand, Const) and isinstance(
                operand.value, (int, float)):
            return Const(-operand.value)
        return None

    def _eval_if_expression(self, node: cst.IfExp, state: FlowState, frame: Frame) -> Optional[Value]:
        self._note_truth_tests(node.test, state)
        self._eval(node.test, state, frame)
        body = self._eval(node.body, state, frame)
        orelse = self._eval(node.orelse, state, frame)
        return join(body, orelse)

    def _eval_boolean(self, node: cst.BooleanOperation, state: FlowState, frame: Frame) -> Optional[Value]:
        # ``seed or 0`` maps seed 0 to 0: harmless.
        if isinstance(node.operator, cst.Or) and not is_zero(node.right):
            self._note_seed_test(node.left, node, "or", state)
        left = self._eval(node.left, state, frame)
        right = self._eval(node.right, state, frame)
        if isinstance(node.operator, cst.Or) and left is not None and right is not None:
            return join(left, right)
        return None

    def _eval_binary(self, node: cst.BinaryOperation, state: FlowState, frame: Frame) -> Optional[Value]:
        left = self._eval(node.left, state, frame)
        right = self._eval(node.right, state, frame)
        if isinstance(node.operator, cst.Multiply):
            for seq, seq_node in ((left, node.left), (right, node.right)):
                if isinstance(seq, GeneratorList) and isinstance(seq_node, cst.List):
                    elements = seq_node.elements
                    self._record_aliasing(node, elements[0].value if len(elements) == 1 else seq_node)
                    return GeneratorList(seq.objs, aliased=True)
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, Sequence) and isinstance(times, Const) and isinstance(times.value, int):
                    length = seq.length * times.value if seq.length is not None else None
                    return Sequence(length)
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            tensors = [v for v in (left, right) if isinstance(v, Tensor)]
            return Tensor(tensors[0].drawn_at, all(t.seeded for t in tensors))
        if isinstance(left, Const) and isinstance(right, Const):
            try:
                return Const(fold(node.operator, left.value, right.value))
            except Exception:  # Unresolvable, or an operation Python refuses
                return None
        return None

    def _eval_subscript(self, node: cst.Subscript, state: FlowState, frame: Frame) -> Optional[Value]:
        base = self._eval(node.value, state, frame)
        for element in node.slice:
            self._eval_children(element, state, frame)
        index = const_subscript(node)
        if isinstance(base, DictValue) and isinstance(index, str):
            return base.get(index)
        if isinstance(base, GeneratorList) and base.objs:
            if isinstance(index, int) and -len(base.objs) <= index < len(base.objs):
                return Generator(base.objs[index])
            if len(set(map(id, base.objs))) == 1:
                return Generator(base.objs[0])
        return None

    def _eval_lambda(self, node: cst.Lambda, state: FlowState, frame: Frame) -> Optional[Value]:
        return None

    def _eval_walrus(self, node: cst.NamedExpr, state: FlowState, frame: Frame) -> Optional[Value]:
        value = self._eval(node.value, state, frame)
        self._bind_target(node.target, value, state, frame, node.value)
        return value

    def _eval_await(self, node: cst.Await, state: FlowState, frame: Frame) -> Optional[Value]:
        return self._eval(node.expression, state, frame)

    # ------------------------------------------------------------------ comprehensions

    def _eval_comprehension(self, node, state: FlowState, frame: Frame) -> Optional[Value]:
        """A comprehension is a loop: its element runs twice, like a loop body, so a generator
        consumed by one element is seen by the next. Its names do not leak; generator state does."""
        inner = Frame(frame.scope, frame.params, frame.function, frame.loop_depth + 1)
        first, element = self._comprehension_pass(node, state.copy(), inner)
        second, _ = self._comprehension_pass(node, first.copy(), inner)
        # Assume at least one element: an object created by the element is a new object, and
        # joining it with what an older object of the same creation site did would blur the two.
        after = join_states(first, second)
        state.gens = {**state.gens, **after.gens}
        state.opaque = {**after.opaque, **state.opaque}
        if isinstance(element, Generator) and isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            created_inside = element.obj.created_at is not None and contains(node.elt, element.obj.created_at)
            if not created_inside:
                self._record_aliasing(node, node.elt)
            return GeneratorList((element.obj,), aliased=not created_inside)
        if isinstance(node, cst.ListComp) and not isinstance(element, GeneratorList):
            return Sequence(None)
        return None

    def _comprehension_pass(self, node, inner: FlowState, frame: Frame):
        comp = node.for_in
        while comp is not None:
            self._eval(comp.iter, inner, frame)
            self._bind_target(comp.target, None, inner, frame)
            for cond in comp.ifs:
                self._eval(cond.test, inner, frame)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self._eval(node.key, inner, frame)
            return inner, self._eval(node.value, inner, frame)
        return inner, self._eval(node.elt, inner, frame)

    def _record_aliasing(self, node, element_node) -> None:
        label = self.module.code_for_node(element_node)
        if not any(a.node is node for a in self.model.aliased_lists):
            self.model.aliased_lists.append(ListAliasing(node, label))

    # ------------------------------------------------------------------ seed truth tests

    def _note_truth_tests(self, test, state: FlowState) -> None:
        """Seeds tested for truth in an ``if``/``while``/conditional-expression test."""
        if isinstance(test, cst.BooleanOperation):
            for operand, sibling in ((test.left, test.right), (test.right, test.left)):
                # ``seed and seed > 0``: 0 fails the comparison anyway, so the truth test is moot.
                if isinstance(test.operator, cst.And) and compares(sibling, dotted_name(operand)):
                    continue
                self._note_truth_tests(operand, state)
        elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            if not self._note_seed_test(test.expression, test, "not", state):
                self._note_truth_tests(test.expression, state)
        else:
            self._note_seed_test(test, test, "test", state)

    def _note_seed_test(self, expr, node, kind: str, state: FlowState) -> bool:
        label = dotted_name(expr)
        if label is None or not catalog.names_a_seed(label.rsplit(".", 1)[-1]):
            return False
        value = state.get(label)
        if not state.has(label) and "." not in label:
            if self.imports.resolve_dotted(label) is not None:
                return False  # an imported function or module, not a seed value
        if value is not None and not all(
                isinstance(v, Const) and (v.value is None or type(v.value) is int) for v in possible_values(value)):
            return False  # known to hold something else than an optional int
        if self.first_time("seed-test", node):
            self.model.seed_truth_tests.append(SeedTruthTest(node, expr, label, kind))
        return True


# Each kind of expression node and the method giving its value; any other node: its children
# are evaluated for their events, and its value is unknown.
_EVALUATORS = {
    cst.Name: ExpressionFlow._eval_name,
    cst.Attribute: ExpressionFlow._eval_attribute,
    cst.Call: CallFlow._eval_call,
    cst.Integer: ExpressionFlow._eval_integer,
    cst.Float: ExpressionFlow._eval_float,
    cst.SimpleString: ExpressionFlow._eval_string,
    cst.ConcatenatedString: ExpressionFlow._eval_string,
    cst.FormattedString: ExpressionFlow._eval_fstring,
    cst.UnaryOperation: ExpressionFlow._eval_unary,
    cst.IfExp: ExpressionFlow._eval_if_expression,
    cst.BooleanOperation: ExpressionFlow._eval_boolean,
    cst.List: ExpressionFlow._eval_sequence,
    cst.Tuple: ExpressionFlow._eval_sequence,
    cst.ListComp: ExpressionFlow._eval_comprehension,
    cst.GeneratorExp: ExpressionFlow._eval_comprehension,
    cst.SetComp: ExpressionFlow._eval_comprehension,
    cst.DictComp: ExpressionFlow._eval_comprehension,
    cst.BinaryOperation: ExpressionFlow._eval_binary,
    cst.Dict: ExpressionFlow._eval_dict,
    cst.Subscript: ExpressionFlow._eval_subscript,
    cst.Lambda: ExpressionFlow._eval_lambda,
    cst.NamedExpr: ExpressionFlow._eval_walrus,
    cst.Await: ExpressionFlow._eval_await,
}
