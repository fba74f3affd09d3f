"""The flow analysis behind the semantic model.

It walks each scope's statements in execution order, carrying an abstract state: what each name
holds (``values.py``) and, for each generator, how it was seeded and which pipeline calls have
drawn from it since. Branches are analysed separately and joined; loop bodies run twice, so a
generator consumed at the end of one iteration is seen at the top of the next. This is what lets
rules ask "was ``g`` re-seeded before this call, on every path?".

Functions are analysed on their own, with parameters bound from their annotations and from the
values the module passes at its call sites; a small summary records which parameters a function
passes on to a pipeline as its generator, so ``generate(pipe, "a", g)`` twice is a reuse.

The walk itself is the flow engine (``reprolint.semantic.flow``: statements, expressions, scopes,
calls); what a call of torch, diffusers, accelerate or the project means is told by the API
families (``reprolint.semantic.families``). This module drives the rounds and classifies the
calls once the walk is done.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Optional

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.flow.calls import CallFlow
from reprolint.semantic.flow.expressions import ExpressionFlow
from reprolint.semantic.flow.scopes import ScopeFlow
from reprolint.semantic.flow.state import FlowState, Frame
from reprolint.semantic.flow.statements import StatementFlow
from reprolint.semantic.flow.syntax import param_names
from reprolint.semantic.imports import ImportTable, dotted_name
from reprolint.semantic.model import CallFact, SemanticModel
from reprolint.semantic.project import ProjectIndex
from reprolint.semantic.seeds import SeedEvidence
from reprolint.semantic.values import Accelerator, Const, LocalClass, LocalFunction, Pipeline, Scheduler, join

MAX_ROUNDS = 3


class Analyzer(ScopeFlow, StatementFlow, ExpressionFlow, CallFlow):
    """One module's flow analysis; ``run()`` gives its ``SemanticModel``. The methods of the walk
    come from the flow engine's parts, one per kind of syntax."""

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
        self.created_generators: dict = {}  # creation node -> GeneratorObject (stable across rounds)
        self._element_values: dict = {}  # element node of a list/tuple literal -> its value
        # Seed-named argparse options of this module and their defaults (``seed_guards``).
        self.seed_options: dict = self.project.options_of(path)

    # ------------------------------------------------------------------ driver

    def run(self) -> SemanticModel:
        model = None
        for _ in range(MAX_ROUNDS):
            model = self._analyse_once()
            bindings, consuming = self._summaries(model)
            seeded_entries = {func for func, seeded in self._callsite_seeded.items() if seeded}
            seeded_entries |= self._seeded_instance_methods()
            # A method whose every call in the module (``self.m()``, ``trainer.m()``) is made
            # seeded, as a module function's: ``train()`` seeds, then ``self.process_batch()``.
            seeded_entries |= {method for method, seeded in self._method_calls_seeded.items() if seeded}
            if (bindings == self.param_bindings and consuming == self.consuming_params
                    and seeded_entries == self.seeded_entries):
                break
            self.param_bindings, self.consuming_params = bindings, consuming
            self.seeded_entries = seeded_entries
        self._classify_setup_calls(model)
        self._keep_seed_tests_with_evidence(model)
        own = self.project.summary_for(self.path)
        model.runs_as_app = bool(own and own["entry_point"])
        model.imported_by_project = self.project.is_imported(self.path)
        return model

    def _seeded_instance_methods(self) -> set:
        """The methods of the module's classes that run only on an instance whose every
        construction in the module leaves torch's global RNG seeded (``Trainer(args)`` whose
        ``__init__``, or a base's, seeds), also the methods a subclass constructed so inherits."""
        seeded_classes = {name for name, seeded in self._constructions_seeded.items() if seeded}
        unseeded = {name for name, seeded in self._constructions_seeded.items() if not seeded}
        pending = list(seeded_classes)
        while pending:
            node = self.classes.get(pending.pop())
            for base in node.bases if node is not None else ():
                name = dotted_name(base.value)
                if name in self.classes and name not in seeded_classes and name not in unseeded:
                    seeded_classes.add(name)
                    pending.append(name)
        methods = set()
        for name in seeded_classes:
            for stmt in self.classes[name].body.body if name in self.classes else ():
                if (isinstance(stmt, cst.FunctionDef) and stmt.name.value not in ("__init__", "__new__")
                        and not any(dotted_name(d.decorator) in ("staticmethod", "classmethod")
                                    for d in stmt.decorators)):
                    methods.add(stmt)
        return {method for method in methods if self._method_calls_seeded.get(method, True)}

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
            self._note_project_facts(model, call)
            if self.names_helper(call, self.determinism_helpers):
                model.configured_determinism_helpers.add(id(call))

    def _note_project_facts(self, model: SemanticModel, call: CallFact) -> None:
        """The typed facts (``reprolint.semantic.project_facts``) of the project function or
        class a call calls, through the project functions that one calls."""
        if call.qualname is None and call.method is not None:
            return
        name = self.project_name(call)
        written = dotted_name(call.node.func) if name is None else None
        if written and "." not in written and self.module_name:
            name = f"{self.module_name}.{written}"  # a class of this module
        facts = self.project.facts_of(name)
        if facts:
            model.project_call_facts[id(call)] = facts

    def project_name(self, call: CallFact, callee=None) -> Optional[str]:
        """The absolute qualified name of what a call calls, for questions to the project index:
        an import (relative ones made absolute) or a function of this module."""
        if call.qualname:
            return self.project.absolute(call.qualname, self.path)
        if isinstance(callee, (LocalFunction, LocalClass)) and self.module_name:
            return f"{self.module_name}.{callee.name}"
        written = dotted_name(call.node.func)
        if written and "." not in written and self.module_name and written in self.functions:
            return f"{self.module_name}.{written}"
        return None

    def _is_determinism_setup(self, call: CallFact) -> bool:
        q = call.qualname
        if self.project.sets_up_determinism(self.project_name(call)):
            return True
        if q in catalog.ENABLE_FULL_DETERMINISM:
            return True
        if q in catalog.USE_DETERMINISTIC_ALGORITHMS:
            arg = call.positional(0) or call.keyword("mode")
            return arg is not None and not (isinstance(arg.value, Const) and not arg.value.value)
        if q in catalog.SET_SEED_WITH_DETERMINISTIC or q in catalog.LIGHTNING_TRAINERS:
            arg = call.keyword("deterministic")
            return arg is not None and isinstance(arg.value, Const) and arg.value.value not in (False, None)
        return self.names_helper(call, self.determinism_helpers)

    def _is_seeding_call(self, call: CallFact) -> bool:
        return call.qualname in catalog.SEEDING_CALLS or call.seeding_call or self.names_helper(
            call, self.seeding_helpers + self.determinism_helpers) or self.project.seeds_global_rng(
            self.project_name(call))

    def names_helper(self, call: CallFact, helpers: tuple) -> bool:
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
        self._constructions_seeded: dict = {}  # class name -> every construction leaves the RNG seeded
        self.classes: dict = {}  # name -> ClassDef
        self._method_owner: dict = {}  # FunctionDef of a method -> its ClassDef
        self._method_calls_seeded: dict = {}  # method FunctionDef -> every call seen is made seeded
        self._instances: dict = {}  # (scope, name) -> the ClassDef or project class it was made from
        self.functions: dict = {}  # name -> FunctionDef (module level)
        self._pending: deque = deque()
        self._pending_placements: list = []
        self._passes_to_param_callee: list = []
        self._recorded: set = set()  # (fact kind, node id): loop bodies are walked twice
        self._statement = None  # the simple statement being executed
        state = FlowState()
        self._exec_block(self.module.body, state, Frame("<module>"))
        while self._pending:
            func, env_state, class_info = self._pending.popleft()
            self._analyse_function(func, env_state, class_info)
        self.model.generator_objects = list(self.created_generators.values())
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
                if obj.opaque and obj.created_at is not None and obj.label in param_names(obj.created_at):
                    consuming.setdefault(obj.created_at, set()).add(obj.label)
        return bindings, consuming


def analyse(module: cst.Module, source: str, path: str, **settings) -> SemanticModel:
    """Build the semantic model of one parsed module; ``project=`` (a ``ProjectIndex``) brings
    what the project's other modules tell."""
    return Analyzer(module, source, path, **settings).run()
