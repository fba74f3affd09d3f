"""The flow analysis behind the semantic model.

It walks each scope's statements in execution order, carrying an abstract state: what each name
holds (``values.py``) and, for each generator, how it was seeded and which pipeline calls have
drawn from it since. Branches are analysed separately and joined; loop bodies run twice, so a
generator consumed at the end of one iteration is seen at the top of the next. This is what lets
rules ask "was ``g`` re-seeded before this call, on every path?".

Functions are analysed on their own, with parameters bound from their annotations and from the
values the module passes at its call sites; a small summary records which parameters a function
passes on to a pipeline as its generator, so ``generate(pipe, "a", g)`` twice is a reuse.
"""

from __future__ import annotations

from collections import ChainMap, deque
from types import MappingProxyType
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.imports import ImportTable, dotted_name
from reprolint.semantic.project import ProjectIndex
from reprolint.semantic.seeds import SeedEvidence
from reprolint.semantic.tree import child_nodes, is_subclass, literal_value
from reprolint.semantic.model import (
    Argument,
    AttributeAssignment,
    CallFact,
    EnvWrite,
    GeneratorState,
    GeneratorUse,
    ListAliasing,
    Placement,
    SeedTruthTest,
    SemanticModel,
    may_call_seeding_helper,
)
from reprolint.semantic.values import (
    Accelerator,
    Const,
    Device,
    DictValue,
    Distribution,
    Generator,
    GeneratorList,
    GeneratorObject,
    LocalClass,
    LocalFunction,
    Pipeline,
    QualifiedRef,
    Scheduler,
    Sequence,
    Tensor,
    Value,
    device_kinds,
    join,
    possible_values,
)

MAX_ROUNDS = 3
FRESH = GeneratorState(frozenset({"manual"}))
UNSEEDED = GeneratorState(frozenset({"none"}))
RECEIVED = GeneratorState(frozenset({"unknown"}))


_NO_OUTER: Mapping = MappingProxyType({})  # shared, read-only


@dataclass
class FlowState:
    env: dict = field(default_factory=dict)  # key ("g", "self.pipe") -> Value | None
    gens: dict = field(default_factory=dict)  # GeneratorObject -> GeneratorState
    opaque: dict = field(default_factory=dict)  # key -> GeneratorObject received from elsewhere
    # The enclosing scope's names, read-only and shared, never copied: a module with thousands
    # of functions must not copy its namespace once per function.
    outer: Mapping = field(default_factory=lambda: _NO_OUTER)
    has_dotted_keys: bool = False
    # torch's global generator was seeded on every path reaching this point.
    seeded: bool = False

    def copy(self) -> "FlowState":
        return FlowState(dict(self.env), dict(self.gens), dict(self.opaque), self.outer, self.has_dotted_keys,
                         self.seeded)

    def has(self, key: str) -> bool:
        return key in self.env or key in self.outer

    def get(self, key: str) -> Optional[Value]:
        if key in self.env:
            return self.env[key]
        return self.outer.get(key)

    def scope_view(self) -> Mapping:
        """What a function defined here sees of this scope's names."""
        return ChainMap(self.env, self.outer) if self.outer else self.env

    def bind(self, key: str, value: Optional[Value]) -> None:
        # Rebinding ``pipe`` forgets ``pipe.scheduler``. Scanning only when dotted keys exist
        # keeps binding O(1) in modules with thousands of plain names.
        prefix = key + "."
        if self.has_dotted_keys:
            for stale in [k for k in self.env if k.startswith(prefix)]:
                del self.env[stale]
        if self.opaque:
            for stale in [k for k in self.opaque if k == key or k.startswith(prefix)]:
                del self.opaque[stale]
        if "." in key:
            self.has_dotted_keys = True
        self.env[key] = value


def join_states(*states: Optional[FlowState]) -> Optional[FlowState]:
    live = [s for s in states if s is not None]
    if not live:
        return None
    result = live[0].copy()
    for other in live[1:]:
        env = {}
        for key in result.env.keys() | other.env.keys():
            if key in result.env and key in other.env:
                env[key] = join(result.env[key], other.env[key])
            else:
                # Bound on one path only: elsewhere it is whatever it was before (unknown here).
                env[key] = result.env.get(key, other.env.get(key))
        gens = dict(result.gens)
        for obj, state in other.gens.items():
            gens[obj] = gens[obj].join(state) if obj in gens else state
        opaque = {}
        for key in result.opaque.keys() | other.opaque.keys():
            a, b = result.opaque.get(key), other.opaque.get(key)
            if a is None or b is None or a is b:
                opaque[key] = a or b
        result = FlowState(env, gens, opaque, result.outer,
                           result.has_dotted_keys or other.has_dotted_keys, result.seeded and other.seeded)
    return result


@dataclass
class _Frame:
    """Where the analysis is: which scope, which parameters, how deep in loops."""

    scope: str
    params: frozenset = frozenset()
    function: Optional[cst.FunctionDef] = None
    loop_depth: int = 0
    breaks: list = field(default_factory=list)
    continues: list = field(default_factory=list)


class _Unresolvable(Exception):
    pass


class Analyzer:
    def __init__(self, module: cst.Module, source: str, path: str,
                 determinism_helpers: Iterable[str] = (), seeding_helpers: Iterable[str] = (),
                 project: Optional[ProjectIndex] = None):
        self.module = module
        self.source = source
        self.path = path
        self.imports = ImportTable.from_module(module)
        # What the other modules of the project (and this one's own summary) tell.
        self.project = (project if project is not None else ProjectIndex.for_module(source, path)).view_from(path)
        self.module_name = self.project.module_name(path)
        # Interprocedural facts, refined over rounds.
        self.param_bindings: dict = {}  # FunctionDef -> {param: Value}
        self.consuming_params: dict = {}  # FunctionDef -> {param names passed as generator=}
        self.seeded_entries: set = set()  # FunctionDefs whose every call site follows global seeding
        self.determinism_helpers = tuple(determinism_helpers)
        self.seeding_helpers = tuple(seeding_helpers)
        self._opaque_cache: dict = {}
        self._created: dict = {}  # creation node -> GeneratorObject (stable across rounds)
        self._element_values: dict = {}  # element node of a list/tuple literal -> its value
        self._generator_argument_depth = 0  # > 0 while evaluating a ``generator=`` argument

    # ------------------------------------------------------------------ driver

    def run(self) -> SemanticModel:
        model = None
        for _ in range(MAX_ROUNDS):
            model = self._analyse_once()
            bindings, consuming = self._summaries(model)
            seeded_entries = {func for func, seeded in self._callsite_seeded.items() if seeded}
            if (bindings == self.param_bindings and consuming == self.consuming_params
                    and seeded_entries == self.seeded_entries):
                break
            self.param_bindings, self.consuming_params = bindings, consuming
            self.seeded_entries = seeded_entries
        self._classify_setup_calls(model)
        self._keep_seed_tests_with_evidence(model)
        own = self.project.summary_for(self.path)
        model.runs_as_app = bool(own and own["entry_point"])
        return model

    def _keep_seed_tests_with_evidence(self, model: SemanticModel) -> None:
        """Only names shown to hold a seed count (``reprolint.semantic.seeds``)."""
        if not model.seed_truth_tests:
            return
        evidence = self.seed_evidence
        seeding = {id(c) for c in model.seeding_calls}
        for call in model.calls:
            evidence.note_call(call, seeding_helper=id(call) in seeding)
        model.seed_truth_tests = [t for t in model.seed_truth_tests if evidence.is_seed(t.label, t)]

    def _classify_setup_calls(self, model: SemanticModel) -> None:
        """Which calls are determinism setup, and which seed a random number generator."""
        for call in model.calls:
            if self._is_determinism_setup(call):
                model.determinism_setups.append(call)
            if self._is_seeding_call(call):
                model.seeding_calls.append(call)

    def _project_name(self, call: CallFact, callee=None) -> Optional[str]:
        """The absolute qualified name of what a call calls, for questions to the project index:
        an import (relative ones made absolute) or a function of this module."""
        if call.qualname:
            return self.project.absolute(call.qualname, self.path)
        if isinstance(callee, (LocalFunction, LocalClass)) and self.module_name:
            return f"{self.module_name}.{callee.name}"
        written = dotted_name(call.node.func)
        if written and "." not in written and self.module_name and written in self._functions:
            return f"{self.module_name}.{written}"
        return None

    def _is_determinism_setup(self, call: CallFact) -> bool:
        q = call.qualname
        if self.project.sets_up_determinism(self._project_name(call)):
            return True
        if q in catalog.ENABLE_FULL_DETERMINISM:
            return True
        if q in catalog.USE_DETERMINISTIC_ALGORITHMS:
            arg = call.positional(0) or call.keyword("mode")
            return arg is not None and not (isinstance(arg.value, Const) and not arg.value.value)
        if q in catalog.SET_SEED_WITH_DETERMINISTIC or q in catalog.LIGHTNING_TRAINERS:
            arg = call.keyword("deterministic")
            return arg is not None and isinstance(arg.value, Const) and arg.value.value not in (False, None)
        return self._names_helper(call, self.determinism_helpers)

    def _is_seeding_call(self, call: CallFact) -> bool:
        return call.qualname in catalog.SEEDING_CALLS or self._names_helper(
            call, self.seeding_helpers + self.determinism_helpers) or self.project.seeds_global_rng(
            self._project_name(call))

    def _names_helper(self, call: CallFact, helpers: tuple) -> bool:
        if not helpers:
            return False
        written = dotted_name(call.node.func)
        for helper in helpers:
            if helper == call.qualname or helper == written:
                return True
            # ``from .utils import seed_all`` resolves to ``.utils.seed_all``: match it against a
            # helper given with its package (``myproj.utils.seed_all``) on a dotted boundary.
            if call.qualname and call.qualname.startswith("."):
                relative = call.qualname.lstrip(".")
                if helper.endswith("." + relative):
                    return True
        return False

    def _analyse_once(self) -> SemanticModel:
        self.model = SemanticModel(self.module, self.source, self.path, self.imports)
        self.seed_evidence = SeedEvidence()
        self._call_index: dict = {}
        self._use_index: dict = {}
        self._callsites: dict = {}  # FunctionDef -> {param: [values]}
        self._callsite_seeded: dict = {}  # FunctionDef -> every call site seen so far is seeded
        self._functions: dict = {}  # name -> FunctionDef (module level)
        self._pending: deque = deque()
        self._pending_placements: list = []
        self._passes_to_param_callee: list = []
        self._recorded: set = set()  # (fact kind, node id): loop bodies are walked twice
        self._statement = None  # the simple statement being executed
        state = FlowState()
        self._exec_block(self.module.body, state, _Frame("<module>"))
        while self._pending:
            func, env_state, class_info = self._pending.popleft()
            self._analyse_function(func, env_state, class_info)
        self.model.generator_objects = list(self._created.values())
        return self.model

    def _summaries(self, model: SemanticModel):
        bindings: dict = {}
        for func, params in self._callsites.items():
            bound = {}
            for name, values in params.items():
                value = values[0]
                for other in values[1:]:
                    value = join(value, other)
                if isinstance(value, (Pipeline, Scheduler, Accelerator)):
                    bound[name] = value
            if bound:
                bindings[func] = bound
        consuming: dict = {}
        for use in model.generator_uses:
            if use.call.pipeline is None and use.call.via_function is None:
                continue
            for obj in use.objects:
                if obj.opaque and obj.created_at is not None and obj.label in _param_names(obj.created_at):
                    consuming.setdefault(obj.created_at, set()).add(obj.label)
        return bindings, consuming

    # ------------------------------------------------------------------ scopes

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
        for index, param in enumerate(all_params):
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
        scope = func.name.value
        return self._exec_block(func.body.body if isinstance(func.body, cst.IndentedBlock)
                         else func.body.body, state,
                         _Frame(scope, frozenset(params), func))

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

    def _analyse_class(self, node: cst.ClassDef, state: FlowState, frame: _Frame) -> None:
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
        state.bind(node.name.value, LocalClass(node.name.value, pipeline_base))
        methods = [s for s in node.body.body if isinstance(s, cst.FunctionDef)]
        attrs: dict = {}
        gens: dict = {}
        # ``self.X = ...`` anywhere in the class makes ``self.X`` known in every method. The
        # constructor's own analysis decides the state of generators it creates.
        for method in methods:
            self_name = _first_param(method)
            if self_name is None:
                continue
            for target, value_node in _self_assignments(method, self_name):
                value = self._quiet_eval(value_node, state)
                if isinstance(value, Generator):
                    gens.setdefault(value.obj, RECEIVED)
                if target in attrs and attrs[target] != value:
                    attrs[target] = join(attrs[target], value)
                else:
                    attrs[target] = value
        init = next((m for m in methods if m.name.value == "__init__"), None)
        if init is not None:
            init_end = self._run_quietly(init, state, (attrs, gens))
            self_name = _first_param(init)
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
            return self._eval(node, scratch, _Frame("<class>"))
        finally:
            (self.model, self._call_index, self._use_index, self._pending_placements, self._recorded) = saved

    # ------------------------------------------------------------------ statements

    def _exec_block(self, stmts, state: Optional[FlowState], frame: _Frame) -> Optional[FlowState]:
        for stmt in stmts:
            if state is None:
                return None
            state = self._exec_stmt(stmt, state, frame)
        return state

    def _exec_stmt(self, stmt, state: FlowState, frame: _Frame) -> Optional[FlowState]:
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
            return self._exec_block(_block(stmt.body), state, frame)
        if isinstance(stmt, cst.FunctionDef):
            for decorator in stmt.decorators:
                self._eval(decorator.decorator, state, frame)
            state.bind(stmt.name.value, LocalFunction(stmt.name.value))
            if frame.function is None:
                self._functions[stmt.name.value] = stmt
            self._pending.append((stmt, state, None))
            return state
        if isinstance(stmt, cst.ClassDef):
            self._analyse_class(stmt, state, frame)
            return state
        if isinstance(stmt, cst.Match):
            self._eval(stmt.subject, state, frame)
            branches = [self._exec_block(_block(case.body), state.copy(), frame) for case in stmt.cases]
            return join_states(state, *branches)
        return state

    def _exec_if(self, stmt: cst.If, state: FlowState, frame: _Frame) -> Optional[FlowState]:
        self._note_truth_tests(stmt.test, state)
        if frame.scope == "<module>" and frame.loop_depth == 0 and _is_main_guard(stmt.test):
            self.model.main_guard = self.model.main_guard or stmt
        self._eval(stmt.test, state, frame)
        body = self._exec_block(_block(stmt.body), state.copy(), frame)
        if stmt.orelse is None:
            other = state
        elif isinstance(stmt.orelse, cst.If):
            other = self._exec_if(stmt.orelse, state.copy(), frame)
        else:
            other = self._exec_block(_block(stmt.orelse.body), state.copy(), frame)
        return join_states(body, other)

    def _exec_loop(self, stmt, state: FlowState, frame: _Frame) -> Optional[FlowState]:
        inner = _Frame(frame.scope, frame.params, frame.function, frame.loop_depth + 1)
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
            exit_state = self._exec_block(_block(stmt.orelse.body), exit_state, frame)
        return exit_state

    def _loop_pass(self, stmt, state: FlowState, frame: _Frame) -> Optional[FlowState]:
        if isinstance(stmt, cst.For):
            self._bind_target(stmt.target, None, state, frame)
        else:
            self._note_truth_tests(stmt.test, state)
            self._eval(stmt.test, state, frame)
        return self._exec_block(_block(stmt.body), state, frame)

    def _exec_try(self, stmt, state: FlowState, frame: _Frame) -> Optional[FlowState]:
        body = self._exec_block(_block(stmt.body), state.copy(), frame)
        may_raise = join_states(state, body)
        outcomes = []
        for handler in stmt.handlers:
            if may_raise is None:
                break
            h_state = may_raise.copy()
            if handler.name is not None:
                self._bind_target(handler.name.name, None, h_state, frame)
            outcomes.append(self._exec_block(_block(handler.body), h_state, frame))
        if stmt.orelse is not None and body is not None:
            body = self._exec_block(_block(stmt.orelse.body), body, frame)
        result = join_states(body, *outcomes)
        if stmt.finalbody is not None:
            start = result if result is not None else may_raise
            if start is not None:
                after = self._exec_block(_block(stmt.finalbody.body), start.copy(), frame)
                result = after if result is not None else None
        return result

    def _exec_small(self, small, state: FlowState, frame: _Frame) -> Optional[FlowState]:
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
        if isinstance(small, cst.Del):
            return state
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return state
        return state

    def _bind_target(self, target, value, state: FlowState, frame: _Frame, value_node=None) -> None:
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
            key = dotted_name(target.value)
            container = state.get(key) if key else None
            index = _const_subscript(target)
            if isinstance(index, str) and self._is_environ(target.value):
                self._note_env_write(index, value, self._statement_around(target), frame, "os.environ[...] =")
            if isinstance(container, DictValue) and isinstance(index, str):
                state.env[key] = container.with_item(index, value)
            elif key is not None and isinstance(container, DictValue):
                state.env[key] = None
            return
        key = dotted_name(target)
        if key is None:
            return
        state.bind(key, value)
        self.seed_evidence.note_value(key, value)
        for placement in self._pending_placements:
            placement.keys.add(key)
        if isinstance(target, cst.Attribute):
            qualified = self.imports.resolve(target)
            if qualified is not None and self._first_time("attribute", target):
                statement = self._statement_around(target)
                self.model.attribute_assignments.append(AttributeAssignment(target, qualified, value, statement))

    def _peek_element(self, state: FlowState, node) -> Optional[Value]:
        key = dotted_name(node)
        if key is not None and state.has(key):
            return state.get(key)
        return self._element_values.get(node)

    # ------------------------------------------------------------------ expressions

    def _eval(self, node, state: FlowState, frame: _Frame) -> Optional[Value]:
        """The abstract value of an expression; records the events inside it, in order."""
        if isinstance(node, cst.Name):
            if state.has(node.value):
                return state.get(node.value)
            if node.value in ("True", "False", "None"):
                return Const({"True": True, "False": False, "None": None}[node.value])
            qualified = self.imports.resolve_dotted(node.value)
            if qualified in catalog.GLOBAL_GENERATOR_NAMES:
                return Generator(self._global_generator())
            return QualifiedRef(qualified) if qualified else None
        if isinstance(node, cst.Attribute):
            key = dotted_name(node)
            if key is not None and state.has(key):
                return state.get(key)
            base = self._eval(node.value, state, frame)
            attr = node.attr.value
            if isinstance(base, QualifiedRef):
                qualified = f"{base.name}.{attr}"
                if qualified in catalog.GLOBAL_GENERATOR_NAMES:
                    return Generator(self._global_generator())
                return QualifiedRef(qualified)
            if attr == "device" and isinstance(base, Pipeline):
                return Device("<pipeline>.device")
            if attr == "device" and isinstance(base, Accelerator):
                return Device("<accelerator>.device")
            if attr == "device" and isinstance(base, Generator) and base.obj.device is not None:
                return base.obj.device
            if attr == catalog.LATENT_DISTRIBUTION_ATTRIBUTE:
                return Distribution(node)
            return None
        if isinstance(node, cst.Call):
            return self._eval_call(node, state, frame)
        if isinstance(node, cst.Integer):
            try:
                return Const(int(literal_value(node)))
            except Exception:
                return None
        if isinstance(node, cst.Float):
            return Const(float(literal_value(node)))
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            try:
                text = literal_value(node)
            except Exception:
                return None
            return Const(text) if isinstance(text, str) else None
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                self._eval_children(part, state, frame)
            head = node.parts[0] if node.parts else None
            if isinstance(head, cst.FormattedStringText) and head.value.startswith(("cuda", "mps")):
                return Device("cuda:?" if head.value.startswith("cuda") else "mps")
            return None
        if isinstance(node, cst.UnaryOperation):
            operand = self._eval(node.expression, state, frame)
            if isinstance(node.operator, cst.Minus) and isinstance(operand, Const) and isinstance(
                    operand.value, (int, float)):
                return Const(-operand.value)
            return None
        if isinstance(node, cst.IfExp):
            self._note_truth_tests(node.test, state)
            self._eval(node.test, state, frame)
            body = self._eval(node.body, state, frame)
            orelse = self._eval(node.orelse, state, frame)
            return join(body, orelse)
        if isinstance(node, cst.BooleanOperation):
            # ``seed or 0`` maps seed 0 to 0: harmless.
            if isinstance(node.operator, cst.Or) and not _is_zero(node.right):
                self._note_seed_test(node.left, node, "or", state)
            left = self._eval(node.left, state, frame)
            right = self._eval(node.right, state, frame)
            if isinstance(node.operator, cst.Or) and left is not None and right is not None:
                return join(left, right)
            return None
        if isinstance(node, (cst.List, cst.Tuple)):
            return self._eval_sequence(node, state, frame)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            return self._eval_comprehension(node, state, frame)
        if isinstance(node, cst.BinaryOperation):
            left = self._eval(node.left, state, frame)
            right = self._eval(node.right, state, frame)
            if isinstance(node.operator, cst.Multiply):
                for seq, seq_node in ((left, node.left), (right, node.right)):
                    if isinstance(seq, GeneratorList) and isinstance(seq_node, cst.List):
                        elements = seq_node.elements
                        self._record_aliasing(node, elements[0].value if len(elements) == 1 else seq_node)
                        return GeneratorList(seq.objs, aliased=True)
            if isinstance(node.operator, cst.Multiply):
                for seq, times in ((left, right), (right, left)):
                    if isinstance(seq, Sequence) and isinstance(times, Const) and isinstance(times.value, int):
                        length = seq.length * times.value if seq.length is not None else None
                        return Sequence(length)
            if isinstance(left, Tensor) or isinstance(right, Tensor):
                tensors = [v for v in (left, right) if isinstance(v, Tensor)]
                return Tensor(tensors[0].drawn_at, all(t.seeded for t in tensors))
            if isinstance(left, Const) and isinstance(right, Const):
                try:
                    return Const(_fold(node.operator, left.value, right.value))
                except Exception:
                    return None
            return None
        if isinstance(node, cst.Dict):
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
        if isinstance(node, cst.Subscript):
            base = self._eval(node.value, state, frame)
            for element in node.slice:
                self._eval_children(element, state, frame)
            index = _const_subscript(node)
            if isinstance(base, DictValue) and isinstance(index, str):
                return base.get(index)
            if isinstance(base, GeneratorList) and base.objs:
                if isinstance(index, int) and -len(base.objs) <= index < len(base.objs):
                    return Generator(base.objs[index])
                if len(set(map(id, base.objs))) == 1:
                    return Generator(base.objs[0])
            return None
        if isinstance(node, (cst.Lambda,)):
            return None
        if isinstance(node, cst.NamedExpr):
            value = self._eval(node.value, state, frame)
            self._bind_target(node.target, value, state, frame, node.value)
            return value
        if isinstance(node, cst.Await):
            return self._eval(node.expression, state, frame)
        self._eval_children(node, state, frame)
        return None

    def _eval_children(self, node, state: FlowState, frame: _Frame) -> None:
        for child in child_nodes(node):
            kind = type(child)
            if is_subclass(kind, cst.BaseExpression):
                self._eval(child, state, frame)
            elif kind is cst.FunctionDef or kind is cst.ClassDef:
                continue
            else:
                self._eval_children(child, state, frame)

    def _eval_sequence(self, node, state: FlowState, frame: _Frame) -> Optional[Value]:
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

    def _eval_comprehension(self, node, state: FlowState, frame: _Frame) -> Optional[Value]:
        """A comprehension is a loop: its element runs twice, like a loop body, so a generator
        consumed by one element is seen by the next. Its names do not leak; generator state does."""
        inner = _Frame(frame.scope, frame.params, frame.function, frame.loop_depth + 1)
        first, element = self._comprehension_pass(node, state.copy(), inner)
        second, _ = self._comprehension_pass(node, first.copy(), inner)
        # Assume at least one element: an object created by the element is a new object, and
        # joining it with what an older object of the same creation site did would blur the two.
        after = join_states(first, second)
        state.gens = {**state.gens, **after.gens}
        state.opaque = {**after.opaque, **state.opaque}
        if isinstance(element, Generator) and isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            created_inside = element.obj.created_at is not None and _contains(node.elt, element.obj.created_at)
            if not created_inside:
                self._record_aliasing(node, node.elt)
            return GeneratorList((element.obj,), aliased=not created_inside)
        if isinstance(node, cst.ListComp) and not isinstance(element, GeneratorList):
            return Sequence(None)
        return None

    def _comprehension_pass(self, node, inner: FlowState, frame: _Frame):
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

    # ------------------------------------------------------------------ calls

    def _eval_call(self, node: cst.Call, state: FlowState, frame: _Frame) -> Optional[Value]:
        func = node.func
        receiver = None
        method = None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = self._eval(func.value, state, frame)
            callee = QualifiedRef(f"{receiver.name}.{method}") if isinstance(receiver, QualifiedRef) else None
            key = dotted_name(func)
            if key is not None and state.has(key):
                callee = state.get(key)
        else:
            callee = self._eval(func, state, frame)
        arguments = []
        star_kwargs = []
        star_args = False
        position = 0
        for arg in node.args:
            as_generator = arg.keyword is not None and arg.keyword.value == "generator"
            if as_generator:
                self._generator_argument_depth += 1
            try:
                value = self._eval(arg.value, state, frame)
            finally:
                if as_generator:
                    self._generator_argument_depth -= 1
            if arg.star == "**":
                star_kwargs.append(value)
                continue
            if arg.star == "*":
                star_args = True
                continue
            keyword = arg.keyword.value if arg.keyword is not None else None
            arguments.append(Argument(keyword, position if keyword is None else -1, value, arg))
            if keyword is None:
                position += 1
        qualname = callee.name if isinstance(callee, QualifiedRef) else None
        fact = CallFact(node, frame.scope, qualname, method, receiver, arguments, star_kwargs,
                        star_args, frame.loop_depth, global_seeded=state.seeded)
        fact = self._record_call(fact)
        callee_key = dotted_name(func)
        if callee_key is not None:
            self.model.called_keys.add(callee_key)
            if method in ("generate", "forward", "__call__", "sample") and isinstance(func, cst.Attribute):
                owner = dotted_name(func.value)
                if owner:
                    self.model.called_keys.add(owner)
        result = self._call_result(fact, callee, state, frame)
        # ``generator=torch.manual_seed(0)`` does seed the global generator, but it is RPL104's
        # finding, and RPL104's safe fix (a fresh CPU generator) takes that seeding away: counting
        # it would let the fix reveal RPL101 findings the first lint did not show.
        if self._seeds_global_rng(fact, callee):
            state.seeded = True
        return result

    def _record_call(self, fact: CallFact) -> CallFact:
        existing = self._call_index.get(fact.node)
        if existing is None:
            self._call_index[fact.node] = fact
            self.model.calls.append(fact)
            return fact
        # Second pass over a loop body: keep one fact; values seen on either pass join.
        for old, new in zip(existing.arguments, fact.arguments):
            old.value = join(old.value, new.value) if old.value != new.value else old.value
        existing.global_seeded = existing.global_seeded and fact.global_seeded
        fact.global_seeded = existing.global_seeded
        return fact

    def _seeds_global_rng(self, call: CallFact, callee=None) -> bool:
        if call.qualname in catalog.TORCH_GLOBAL_SEEDING_CALLS or self._names_helper(
                call, self.seeding_helpers + self.determinism_helpers):
            return True
        if call.qualname is None and not isinstance(callee, LocalFunction):
            return False
        return self.project.seeds_global_rng(self._project_name(call, callee))

    def _call_result(self, fact: CallFact, callee, state: FlowState, frame: _Frame) -> Optional[Value]:
        q = fact.qualname
        method = fact.method
        receiver = fact.receiver
        # -- generators
        if self._seeds_global_rng(fact) or may_call_seeding_helper(fact):
            # Seeding torch's global RNG re-seeds the global generator a name may hold.
            state.gens[self._global_generator()] = FRESH
        if q in catalog.GENERATOR_CLASSES:
            device_arg = fact.keyword("device") or fact.positional(0)
            device = device_arg.value if device_arg is not None else Const("cpu")
            obj = self._created.get(fact.node)
            if obj is None:
                obj = GeneratorObject(fact.node, device, "torch.Generator(...)")
                self._created[fact.node] = obj
            else:
                obj.device = device
            state.gens[obj] = UNSEEDED
            return Generator(obj)
        if q in catalog.GLOBAL_SEED_RETURNING_GENERATOR:
            return Generator(self._global_generator(), origin=fact.node)
        if isinstance(receiver, Generator) and method == "manual_seed":
            state.gens[receiver.obj] = FRESH
            return receiver
        if isinstance(receiver, Generator) and method == "seed":
            state.gens[receiver.obj] = GeneratorState(frozenset({"nondet"}))
            return None
        if isinstance(receiver, Generator) and method in ("set_state", "clone_state"):
            state.gens[receiver.obj] = RECEIVED
            return None
        if q == "torch.device":
            arg = fact.positional(0) or fact.keyword("type")
            kinds = device_kinds(arg.value) if arg is not None else set()
            if len(kinds) == 1:
                return Device(next(iter(kinds)))
            return arg.value if arg is not None else None
        if q in catalog.ACCELERATOR_CLASSES:
            return Accelerator()
        # -- pipelines
        if q is not None and "." in q:
            owner, _, last = q.rpartition(".")
            if last in catalog.PIPELINE_CONSTRUCTORS and catalog.is_pipeline_class_name(owner):
                result = Pipeline(owner, fact.node)
                self._note_loading_placement(fact, result)
                return result
        if q is not None and catalog.is_pipeline_class_name(q):
            return Pipeline(q, fact.node)
        if isinstance(receiver, LocalClass) and receiver.pipeline_base and method in catalog.PIPELINE_CONSTRUCTORS:
            return Pipeline(receiver.pipeline_base, fact.node)
        if isinstance(callee, LocalClass) and callee.pipeline_base:
            return Pipeline(callee.pipeline_base, fact.node)
        project_pipeline = self._project_pipeline(fact, callee)
        if project_pipeline is not None:
            self._note_loading_placement(fact, project_pipeline)
            if self.project.places_on_gpu(self._project_name(fact, callee)):
                written = dotted_name(fact.node.func) or "the helper"
                self._add_placement(fact.node, None, f"{written}(), which places the pipeline on the GPU", True)
            return project_pipeline
        if isinstance(callee, Pipeline) or (isinstance(receiver, Pipeline) and method == "__call__"):
            pipeline = callee if isinstance(callee, Pipeline) else receiver
            fact.pipeline = pipeline
            self._on_generator_consumer(fact, state, frame, pipeline_call=True)
            return None
        if isinstance(receiver, Pipeline) and method in catalog.PIPELINE_SELF_RETURNING:
            self._note_to_placement(fact, receiver, pipeline=True)
            return receiver
        if isinstance(receiver, Pipeline) and method in catalog.OFFLOAD_METHODS:
            self._add_placement(fact.node, dotted_name(fact.node.func.value), f"{method}()", True)
            return None
        if isinstance(receiver, Pipeline) and method == "enable_group_offload":
            onload = fact.keyword("onload_device")
            if onload is not None and any(catalog.is_cuda_device_string(k) for k in device_kinds(onload.value)):
                self._add_placement(fact.node, dotted_name(fact.node.func.value), "enable_group_offload()", True)
            return None
        # -- schedulers (constructed, from_config, from_pretrained)
        scheduler = self._scheduler_made_by(fact)
        if scheduler is not None:
            if self._first_time("scheduler", fact.node):
                self.model.scheduler_creations.append((fact, scheduler))
            return scheduler
        # -- the process environment
        if q in catalog.ENV_SETDEFAULT or q in catalog.ENV_PUTENV:
            name, value = fact.positional(0), fact.positional(1)
            if name is not None and isinstance(name.value, Const) and isinstance(name.value.value, str):
                how = "os.putenv" if q in catalog.ENV_PUTENV else "os.environ.setdefault"
                self._note_env_write(name.value.value, value.value if value else None, fact.node, frame, how)
            return None
        if q in catalog.ENV_UPDATE:
            items = [(a.keyword, a.value) for a in fact.arguments if a.keyword is not None]
            first = fact.positional(0)
            if first is not None and isinstance(first.value, DictValue):
                items += list(first.value.items)
            for name, value in items:
                self._note_env_write(name, value, fact.node, frame, "os.environ.update")
            return None
        # -- VAE latent distributions
        if q in catalog.DIAGONAL_GAUSSIAN_CLASSES:
            return Distribution(fact.node)
        if isinstance(receiver, Distribution) and method == "sample":
            if self._first_time("distribution-sample", fact.node):
                self.model.distribution_samples.append(fact)
        # -- random tensors
        if q in catalog.TORCH_RANDOM_FUNCTIONS:
            self._on_generator_consumer(fact, state, frame, pipeline_call=False)
            generator = fact.keyword("generator")
            seeded = generator is not None and not (isinstance(generator.value, Const) and generator.value.value is None)
            return Tensor(fact.node, seeded)
        if isinstance(receiver, Tensor) and method in ("to", "cuda", "cpu", "half", "float", "type", "view",
                                                      "reshape", "expand", "repeat", "clone", "contiguous"):
            return receiver
        # -- placements of anything else
        if method in ("to", "cuda") and fact.node.func is not None:
            self._note_to_placement(fact, receiver, pipeline=False)
        if q is not None and q.endswith((".from_pretrained", ".from_single_file")):
            self._note_loading_placement(fact, None)
        # -- functions of other project modules that pass a parameter on as ``generator=``
        if q is not None and self.project.generator_params(self.project.absolute(q, self.path))[1]:
            self._on_generator_consumer(fact, state, frame, pipeline_call=False)
            return None
        # -- local functions: remember what the module passes to them
        if isinstance(callee, LocalFunction):
            func = self._functions.get(callee.name)
            if func is not None:
                self._note_callsite(func, fact, state, frame)
            self._on_generator_consumer(fact, state, frame, pipeline_call=False, callee=callee)
            return None
        if fact.keyword("generator") is not None or fact.star_kwargs:
            self._on_generator_consumer(fact, state, frame, pipeline_call=False, callee=callee)
        return None

    def _project_pipeline(self, fact: CallFact, callee) -> Optional[Pipeline]:
        """A pipeline made through the project: ``MyPipeline(...)`` or
        ``MyPipeline.from_pretrained(...)`` of a class derived from a diffusers pipeline, or
        ``load_pipeline()`` of a function that returns one (in this module or another)."""
        if fact.qualname is None and not isinstance(callee, LocalFunction):
            return None
        name = self._project_name(fact, callee)
        if not name:
            return None
        owner, _, last = name.rpartition(".")
        if last in catalog.PIPELINE_CONSTRUCTORS and owner:
            base = self.project.pipeline_base(owner)
            if base:
                return Pipeline(base, fact.node)
        base = None if catalog.is_pipeline_class_name(name) else self.project.pipeline_base(name)
        if base:
            return Pipeline(base, fact.node)
        returned = self.project.returned_pipeline(name)
        return Pipeline(returned, fact.node) if returned else None

    def _scheduler_made_by(self, fact: CallFact) -> Optional[Scheduler]:
        q = fact.qualname
        if q is None:
            return None
        owner, _, last = q.rpartition(".")
        if catalog.is_scheduler_class_name(owner) and last in ("from_config", "from_pretrained"):
            class_name, made_by = owner, last
        elif catalog.is_scheduler_class_name(q):
            class_name, made_by = q, "init"
        else:
            return None
        kwargs = _kwargs_of(fact)
        open_kwargs = False
        for star in fact.star_kwargs:
            if isinstance(star, DictValue):
                kwargs += tuple(star.items)
            else:
                open_kwargs = True
        return Scheduler(class_name, fact.node, kwargs, made_by, open_kwargs)

    # ------------------------------------------------------------------ smaller facts

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
        if isinstance(statement, (cst.Assign, cst.AnnAssign)) and _contains(statement, target):
            return statement
        return target

    def _first_time(self, kind: str, node) -> bool:
        """False when this fact was already recorded (a loop body's second pass)."""
        key = (kind, id(node))
        if key in self._recorded:
            return False
        self._recorded.add(key)
        return True

    def _note_env_write(self, name: str, value, node, frame: _Frame, how: str) -> None:
        if self._first_time("env", node):
            self.model.env_writes.append(EnvWrite(name, value, node, frame.scope, len(self.model.calls), how))

    def _note_truth_tests(self, test, state: FlowState) -> None:
        """Seeds tested for truth in an ``if``/``while``/conditional-expression test."""
        if isinstance(test, cst.BooleanOperation):
            for operand, sibling in ((test.left, test.right), (test.right, test.left)):
                # ``seed and seed > 0``: 0 fails the comparison anyway, so the truth test is moot.
                if isinstance(test.operator, cst.And) and _compares(sibling, dotted_name(operand)):
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
        if self._first_time("seed-test", node):
            self.model.seed_truth_tests.append(SeedTruthTest(node, expr, label, kind))
        return True

    def _global_generator(self) -> GeneratorObject:
        obj = self._created.get("<global>")
        if obj is None:
            obj = GeneratorObject(None, Const("cpu"), "torch.default_generator", is_global=True)
            self._created["<global>"] = obj
        return obj

    # ------------------------------------------------------------------ generator flow

    def _on_generator_consumer(self, fact: CallFact, state: FlowState, frame: _Frame,
                               pipeline_call: bool, callee=None) -> None:
        """A call that receives a generator: record the use; a pipeline call consumes it, and so
        does a local function that passes the argument on to a pipeline as its generator."""
        consumed_via = None
        expr, value = fact.passed("generator")
        if not pipeline_call:
            # A local function that passes one of its parameters on to a pipeline as generator,
            # or a function of another project module that does.
            func = self._functions.get(dotted_name(fact.node.func) or "")
            consumed, params, via = set(), [], None
            if func is not None:
                consumed = self.consuming_params.get(func, set())
                params, via = _positional_param_names(func), func.name.value
            elif fact.qualname is not None:
                params, consumed = self.project.generator_params(self.project.absolute(fact.qualname, self.path))
                via = fact.qualname
            if consumed:
                for argument in fact.arguments:
                    name = argument.keyword or (params[argument.position] if argument.position < len(params) else None)
                    if name in consumed:
                        expr, value = argument.node.value, argument.value
                        consumed_via = via
                        break
            if expr is None:
                return
            fact.via_function = consumed_via
        if expr is None:
            if pipeline_call:
                self._add_use(fact, None, None, state, "pipeline")
            return
        if value is None:
            value = self._opaque_generator(expr, state, frame, fact.node)
        if pipeline_call:
            consumer = "pipeline"
        elif consumed_via is not None:
            consumer = "helper"
        else:
            consumer = _consumer_of(fact, callee)
        use = self._add_use(fact, expr, value, state, consumer)
        if pipeline_call or consumed_via is not None:
            for obj in use.objects:
                current = state.gens.get(obj, RECEIVED)
                state.gens[obj] = GeneratorState(current.seeds, frozenset({fact.node}))

    def _opaque_generator(self, expr, state: FlowState, frame: _Frame, call_node) -> Optional[Value]:
        key = dotted_name(expr)
        if key is None:
            return None
        if state.get(key) is not None:
            return state.get(key)
        obj = state.opaque.get(key)
        if obj is None:
            cache_key = (frame.scope, key, call_node)
            obj = self._opaque_cache.get(cache_key)
            if obj is None:
                created_at = frame.function if key in frame.params else None
                obj = GeneratorObject(created_at, None, key, opaque=True)
                self._opaque_cache[cache_key] = obj
            state.opaque[key] = obj
            state.gens[obj] = RECEIVED
        return Generator(obj)

    def _add_use(self, fact: CallFact, expr, value, state: FlowState, consumer: str) -> GeneratorUse:
        objects = ()
        if isinstance(value, Generator):
            objects = (value.obj,)
        elif isinstance(value, GeneratorList):
            objects = tuple(dict.fromkeys(value.objs))
        states = {obj: state.gens.get(obj, RECEIVED) for obj in objects}
        existing = self._use_index.get(fact.node)
        if existing is not None:
            for obj, gen_state in states.items():
                existing.states[obj] = existing.states[obj].join(gen_state) if obj in existing.states else gen_state
            if objects and not existing.objects:
                existing.objects, existing.value = objects, value
            return existing
        use = GeneratorUse(fact, expr, value, self.module, objects, states, consumer)
        self._use_index[fact.node] = use
        self.model.generator_uses.append(use)
        return use

    # ------------------------------------------------------------------ placements

    def _note_to_placement(self, fact: CallFact, receiver, pipeline: bool) -> None:
        method = fact.method
        if method == "cuda":
            description = ".cuda()"
        else:
            arg = fact.positional(0) or fact.keyword("device")
            if arg is None:
                return
            kinds = device_kinds(arg.value)
            if not any(catalog.is_cuda_device_string(k) for k in kinds):
                return
            description = f".to({self.module.code_for_node(arg.node.value)})"
        owner = dotted_name(fact.node.func.value) if isinstance(fact.node.func, cst.Attribute) else None
        self._add_placement(fact.node, owner, description, pipeline or isinstance(receiver, Pipeline))

    def _note_loading_placement(self, fact: CallFact, pipeline) -> None:
        for name in ("device_map", "device"):
            arg = fact.keyword(name)
            if arg is None:
                continue
            kinds = device_kinds(arg.value)
            if any(catalog.is_cuda_device_string(k) or k in ("auto", "balanced", "balanced_low_0", "sequential")
                   for k in kinds):
                code = self.module.code_for_node(arg.node.value)
                self._add_placement(fact.node, None, f"{name}={code}", pipeline is not None)

    def _add_placement(self, node, key: Optional[str], description: str, pipeline: bool) -> None:
        for existing in self.model.placements:
            if existing.node is node:
                return
        placement = Placement(node, {key} if key else set(), description, pipeline)
        self.model.placements.append(placement)
        self._pending_placements.append(placement)

    # ------------------------------------------------------------------ interprocedural

    def _note_callsite(self, func: cst.FunctionDef, fact: CallFact, state: FlowState, frame: _Frame) -> None:
        self._callsite_seeded[func] = self._callsite_seeded.get(func, True) and state.seeded
        params = _positional_param_names(func)
        record = self._callsites.setdefault(func, {})
        for argument in fact.arguments:
            name = argument.keyword
            if name is None and argument.position < len(params):
                name = params[argument.position]
            if name is not None:
                record.setdefault(name, []).append(argument.value)


# ---------------------------------------------------------------------- helpers


def _block(body):
    return body.body


def _first_param(func: cst.FunctionDef) -> Optional[str]:
    params = list(func.params.posonly_params) + list(func.params.params)
    return params[0].name.value if params else None


def _positional_param_names(func: cst.FunctionDef) -> list:
    return [p.name.value for p in list(func.params.posonly_params) + list(func.params.params)]


def _param_names(func) -> set:
    if not isinstance(func, cst.FunctionDef):
        return set()
    params = list(func.params.posonly_params) + list(func.params.params) + list(func.params.kwonly_params)
    return {p.name.value for p in params}


def _self_assignments(func: cst.FunctionDef, self_name: str):
    from reprolint.semantic.imports import iter_statements

    for stmt in iter_statements(func.body.body if isinstance(func.body, cst.IndentedBlock) else func.body.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    t = target.target
                    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == self_name:
                        yield t.attr.value, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                t = small.target
                if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == self_name:
                    yield t.attr.value, small.value


def _consumer_of(fact: CallFact, callee) -> str:
    """Of a call that is not a known pipeline call and receives ``generator=``: "unknown" when
    the callee may be a pipeline (a parameter, ``self.pipe``, a helper's return value, an imported
    project function), "other" for a low-level draw or a callee known to be something else."""
    if isinstance(callee, (LocalFunction, LocalClass)) or fact.method in catalog.LOW_LEVEL_DRAW_METHODS:
        return "other"
    if fact.receiver is not None and not isinstance(fact.receiver, QualifiedRef):
        return "other"  # a method of a known value: a scheduler, a tensor, a pipeline's helper
    name = fact.qualname or (callee.name if isinstance(callee, QualifiedRef) else None)
    if name is None:
        if callee is not None:
            return "other"
        name = dotted_name(fact.node.func) or ""
    elif name.split(".", 1)[0] in catalog.NON_PIPELINE_PACKAGES:
        return "other"
    return "other" if name.rsplit(".", 1)[-1] in catalog.RANDOM_FUNCTION_NAMES else "unknown"


def _is_zero(node) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 0


def _compares(node, name: Optional[str]) -> bool:
    """Whether ``node`` is a comparison (other than ``is``/``is not``) involving ``name``."""
    if name is None or not isinstance(node, cst.Comparison):
        return False
    if any(isinstance(c.operator, (cst.Is, cst.IsNot)) for c in node.comparisons):
        return False
    return any(dotted_name(side) == name for side in [node.left] + [c.comparator for c in node.comparisons])


def _is_main_guard(test) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = {s.value for s in sides if isinstance(s, cst.Name)}
    strings = {s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"} and isinstance(test.comparisons[0].operator, cst.Equal)


def _const_subscript(node: cst.Subscript):
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.SimpleString):
        return value.evaluated_value
    if isinstance(value, cst.Integer):
        return int(value.evaluated_value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and isinstance(
            value.expression, cst.Integer):
        return -int(value.expression.evaluated_value)
    return None


def _kwargs_of(fact: CallFact) -> tuple:
    return tuple((a.keyword, a.value) for a in fact.arguments if a.keyword is not None)


def _contains(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    if root is target:
        return True
    return any(_contains(child, target) for child in child_nodes(root))


def _fold(operator, left, right):
    if isinstance(operator, cst.Add):
        return left + right
    if isinstance(operator, cst.Subtract):
        return left - right
    if isinstance(operator, cst.Multiply):
        return left * right
    raise _Unresolvable


def analyse(module: cst.Module, source: str, path: str, **settings) -> SemanticModel:
    """Build the semantic model of one parsed module; ``project=`` (a ``ProjectIndex``) brings
    what the project's other modules tell."""
    return Analyzer(module, source, path, **settings).run()
