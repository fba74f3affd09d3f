"""Functions and classes: each function is analysed on its own, with its parameters bound from
their annotations and from what the module passes at its call sites; a class makes ``self.X``
known in every method."""

from __future__ import annotations

from collections import deque
from typing import Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.flow.state import RECEIVED, FlowState, Frame
from reprolint.semantic.flow.syntax import first_param, function_body, self_assignments
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.model import SemanticModel
from reprolint.semantic.values import Accelerator, Generator, LocalClass, Pipeline, Scheduler, Value, join


class ScopeFlow:
    """The Analyzer's methods for function and class scopes."""

    def _analyse_function(self, func: cst.FunctionDef, outer: FlowState, class_info) -> Optional[FlowState]:
        state = FlowState({}, dict(outer.gens), {}, outer.scope_view(),
                          seeded=outer.seeded or func in self.seeded_entries)
        params = []
        all_params = list(func.params.posonly_params) + list(func.params.params) + list(
            func.params.kwonly_params)
        for param in all_params:
            params.append(param.name.value)
        for extra in (func.params.star_arg, func.params.star_kwarg):
            if isinstance(extra, cst.Param):
                params.append(extra.name.value)
        bound = self.param_bindings.get(func, {})
        for param in all_params:
            name = param.name.value
            self.seed_evidence.note_parameter(param, None)
            value = self._annotation_value(param.annotation) if param.annotation else None
            if value is None:
                value = bound.get(name)
            if value is None and name == "accelerator" and param.annotation is None and (
                    param.default is None or (isinstance(param.default, cst.Name) and param.default.value == "None")):
                value = Accelerator()  # the training scripts' ``log_validation(..., accelerator, ...)``
            state.bind(name, value)
        if class_info is not None and all_params:
            self_name = all_params[0].name.value
            attrs, gens = class_info
            for attr, value in attrs.items():
                state.env[f"{self_name}.{attr}"] = value
            state.gens.update(gens)
        return self._exec_block(function_body(func), state, Frame(func.name.value, frozenset(params), func))

    def _annotation_value(self, annotation: cst.Annotation) -> Optional[Value]:
        expr = annotation.annotation
        if isinstance(expr, cst.SimpleString):
            try:
                expr = cst.parse_expression(expr.evaluated_value)
            except Exception:
                return None
        if isinstance(expr, cst.Subscript):  # Optional[Pipeline]
            elements = expr.slice
            if len(elements) == 1 and isinstance(elements[0].slice, cst.Index):
                expr = elements[0].slice.value
        qualified = self.imports.resolve(expr)
        if qualified and catalog.is_pipeline_class_name(qualified):
            return Pipeline(qualified, annotation)
        project_base = self.project.pipeline_base(self.project.absolute(qualified, self.path)) if qualified else None
        if project_base:
            return Pipeline(project_base, annotation)
        if qualified and catalog.is_scheduler_class_name(qualified):
            # Its class is known, its settings are not: only what holds for every setting counts.
            return Scheduler(qualified, annotation, (), "annotation", open_kwargs=True)
        if qualified in catalog.ACCELERATOR_CLASSES:
            return Accelerator()
        return None

    def _analyse_class(self, node: cst.ClassDef, state: FlowState, frame: Frame) -> None:
        self.classes.setdefault(node.name.value, node)
        state.bind(node.name.value, LocalClass(node.name.value, self._pipeline_base_of(node, state)))
        methods = [s for s in node.body.body if isinstance(s, cst.FunctionDef)]
        for method in methods:
            self._method_owner[method] = node
        attrs, gens = self._class_attributes(methods, state)
        init = next((m for m in methods if m.name.value == "__init__"), None)
        if init is not None:
            init_end = self._run_quietly(init, state, (attrs, gens))
            self_name = first_param(init)
            if init_end is not None and self_name:
                prefix = self_name + "."
                for key, value in init_end.env.items():
                    if key.startswith(prefix) and key.count(".") == 1:
                        attr = key[len(prefix):]
                        if attr in attrs:
                            attrs[attr] = value
                for obj, gen_state in init_end.gens.items():
                    gens[obj] = gen_state
        for method in methods:
            self._pending.append((method, state, (attrs, gens)))
        for stmt in node.body.body:
            if isinstance(stmt, cst.ClassDef):
                self._analyse_class(stmt, state, frame)

    def _pipeline_base_of(self, node: cst.ClassDef, state: FlowState) -> Optional[str]:
        """The diffusers pipeline class a class derives from, directly or through the project."""
        pipeline_base = None
        for base in node.bases:
            qualified = self.imports.resolve(base.value)
            if qualified and catalog.is_pipeline_class_name(qualified):
                pipeline_base = qualified
            elif qualified and self.project.pipeline_base(self.project.absolute(qualified, self.path)):
                pipeline_base = self.project.pipeline_base(self.project.absolute(qualified, self.path))
            else:
                local = state.get(dotted_name(base.value) or "")
                if isinstance(local, LocalClass) and local.pipeline_base:
                    pipeline_base = local.pipeline_base
        return pipeline_base

    def _class_attributes(self, methods: list, state: FlowState) -> tuple:
        """``self.X = ...`` anywhere in the class makes ``self.X`` known in every method:
        ({attribute: value}, {generator object: state}). The constructor's own analysis then
        decides the state of generators it creates."""
        attrs: dict = {}
        gens: dict = {}
        for method in methods:
            self_name = first_param(method)
            if self_name is None:
                continue
            for target, value_node in self_assignments(method, self_name):
                value = self._quiet_eval(value_node, state)
                if isinstance(value, Generator):
                    gens.setdefault(value.obj, RECEIVED)
                if target in attrs and attrs[target] != value:
                    attrs[target] = join(attrs[target], value)
                else:
                    attrs[target] = value
        return attrs, gens

    def _run_quietly(self, func: cst.FunctionDef, state: FlowState, class_info) -> Optional[FlowState]:
        """Analyse a function for its end state only, recording no facts."""
        saved = (self.model, self._call_index, self._use_index, self._pending,
                 self._pending_placements, self._callsites, self._recorded, self._statement)
        self.model = SemanticModel(self.module, self.source, self.path, self.imports)
        self._call_index, self._use_index, self._pending, self._callsites = {}, {}, deque(), {}
        self._recorded = set()
        try:
            return self._analyse_function(func, state, class_info)
        finally:
            (self.model, self._call_index, self._use_index, self._pending,
             self._pending_placements, self._callsites, self._recorded, self._statement) = saved

    def _quiet_eval(self, node: cst.BaseExpression, state: FlowState) -> Optional[Value]:
        saved = (self.model, self._call_index, self._use_index, self._pending_placements, self._recorded)
        self.model = SemanticModel(self.module, self.source, self.path, self.imports)
        self._call_index, self._use_index, self._recorded = {}, {}, set()
        try:
            scratch = FlowState({}, dict(state.gens), {}, state.scope_view())
            return self._eval(node, scratch, Frame("<class>"))
        finally:
            (self.model, self._call_index, self._use_index, self._pending_placements, self._recorded) = saved
