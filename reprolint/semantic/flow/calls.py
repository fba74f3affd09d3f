"""Calls: the engine evaluates the callee and the arguments, records a ``CallFact``, and hands
the call to the family that owns it (``reprolint.semantic.families``): by qualified name, then
by the receiver's value type and the method, then by the callee's value type. A call no table
answers goes to the families' ``on_unclaimed_call`` watchers, and its value is unknown.

The engine also keeps what every family shares: the generator objects and their uses, the
placements on the GPU, the environment writes, and the call sites of the module's functions."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.semantic import catalog, seed_guards
from reprolint.semantic.families import (
    UNCLAIMED_WATCHERS,
    UNHANDLED,
    CallSite,
    callee_handler,
    method_handler,
    name_handler,
)
from reprolint.semantic.flow.state import FRESH, RECEIVED, FlowState, Frame
from reprolint.semantic.flow.syntax import first_param, positional_param_names
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.project_summary import EXTERNAL_ROOTS
from reprolint.semantic.model import (
    Argument,
    CallFact,
    EnvWrite,
    GeneratorState,
    GeneratorUse,
    Placement,
    may_call_seeding_helper,
)
from reprolint.semantic.values import (
    Const,
    Generator,
    GeneratorList,
    GeneratorObject,
    LocalClass,
    LocalFunction,
    QualifiedRef,
    Value,
    join,
)

# Methods that run a model or a pipeline held by their receiver: ``self.pipe.generate()`` calls
# ``self.pipe`` (``model.called_keys``).
_RUNNING_METHODS = ("generate", "forward", "__call__", "sample")
_RESEEDING_METHODS = frozenset({"manual_seed", "seed", "set_state"})


class CallFlow:
    """The Analyzer's methods for calls, and the facts every family records through it."""

    def _eval_call(self, node: cst.Call, state: FlowState, frame: Frame) -> Optional[Value]:
        func = node.func
        receiver = None
        method = None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = self._eval(func.value, state, frame)
            if receiver is None and method in _RESEEDING_METHODS:
                # ``self.state.generator.manual_seed(7)``: the generator a call already received
                # through that attribute chain (from another module's object) is re-seeded.
                received = state.opaque.get(dotted_name(func.value) or "")
                if received is not None:
                    receiver = Generator(received)
            callee = QualifiedRef(f"{receiver.name}.{method}") if isinstance(receiver, QualifiedRef) else None
            key = dotted_name(func)
            if key is not None and state.has(key):
                callee = state.get(key)
        else:
            callee = self._eval(func, state, frame)
        arguments, star_kwargs, star_args = self._eval_arguments(node, state, frame)
        qualname = callee.name if isinstance(callee, QualifiedRef) else None
        fact = CallFact(node, frame.scope, qualname, method, receiver, arguments, star_kwargs,
                        star_args, frame.loop_depth, global_seeded=state.seeded)
        fact = self._record_call(fact)
        callee_key = dotted_name(func)
        if callee_key is not None:
            self.model.called_keys.add(callee_key)
            if method in _RUNNING_METHODS and isinstance(func, cst.Attribute):
                owner = dotted_name(func.value)
                if owner:
                    self.model.called_keys.add(owner)
        result = self._call_result(fact, callee, state, frame)
        # ``generator=torch.manual_seed(0)`` seeds the global generator too; RPL104's fix keeps
        # that seeding wherever a later draw may rely on it.
        if self._seeds_global_rng(fact, callee):
            state.seeded = True
        elif fact.qualname in catalog.TORCH_RANDOM_RESEEDING:
            state.seeded = False  # ``torch.seed()`` re-seeds at random: earlier seeding is gone
        if method is not None and self._method_owner:
            self._note_method_call(fact, frame)
        if isinstance(callee, LocalClass):
            # The instance's methods run after this: seeded when every construction leaves the
            # global RNG seeded (a seeding ``__init__``, or seeding before it).
            self._constructions_seeded[callee.name] = self._constructions_seeded.get(callee.name, True) and \
                state.seeded
        return result

    def _eval_arguments(self, node: cst.Call, state: FlowState, frame: Frame) -> tuple:
        """(arguments, values of ``**`` arguments, whether a ``*`` argument is passed)."""
        arguments = []
        star_kwargs = []
        star_args = False
        position = 0
        for arg in node.args:
            value = self._eval(arg.value, state, frame)
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
        return arguments, star_kwargs, star_args

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
        if call.qualname in catalog.TORCH_GLOBAL_SEEDING_CALLS or self.names_helper(
                call, self.seeding_helpers + self.determinism_helpers):
            return True
        if call.qualname is None and not isinstance(callee, (LocalFunction, LocalClass)):
            return False
        name = self.project_name(call, callee)
        guards = self.project.global_seeding(name)
        if guards is None:
            return False
        call.seeding_call = True  # a seeding call, as RPL203 sees it, if perhaps only under a test
        if not guards:
            return True
        # Seeds only under a test of its arguments (``if args.seed is not None:``): not where the
        # entry point's value is known to fail it (an argparse default of None); where it is not
        # known, a seeding helper counts as seeding, as it always has.
        offset = 1 if self.project.constructor(name) else 0  # ``self`` of ``__init__``
        verdicts = [self._guard_verdict(call, guard, offset) for guard in guards]
        return not all(verdict is False for verdict in verdicts)

    def _guard_verdict(self, call: CallFact, guard, offset: int) -> Optional[bool]:
        """Whether what the call passes for a guarded parameter passes its test."""
        index, name, attr, kind = guard
        argument = call.argument_for(name, index, offset)
        if argument is None:
            return None  # left to its default, or passed through ``*args``/``**kwargs``
        expr = argument.node.value
        label = dotted_name(expr)
        if attr:
            if isinstance(argument.value, Const):
                return None  # ``Trainer(None)``: no namespace of options
            value = seed_guards.option_value(f"{label}.{attr}" if label else None, self.seed_options)
        elif isinstance(argument.value, Const) and (argument.value.value is None or type(argument.value.value) is int):
            value = argument.value.value
        else:
            value = seed_guards.option_value(label, self.seed_options)
        return seed_guards.passes(kind, value)

    def guard_holds(self, expr, kind: str, state: FlowState) -> Optional[bool]:
        """Whether a seed tested in an ``if`` (``args.seed is not None``) passes the test when
        the entry point does not override it: a known constant, or an argparse option's default."""
        label = dotted_name(expr)
        value = state.get(label) if label is not None and state.has(label) else None
        if isinstance(value, Const) and (value.value is None or type(value.value) is int):
            return seed_guards.passes(kind, value.value)
        if isinstance(expr, cst.Name):
            # ``seed = args.seed`` bound once, then ``if seed is not None:``: the option's default.
            bound = self.model.name_lookup.single_binding(expr)
            if isinstance(bound, cst.Attribute):
                label = dotted_name(bound)
        return seed_guards.passes(kind, seed_guards.option_value(label, self.seed_options))

    def _call_result(self, fact: CallFact, callee, state: FlowState, frame: Frame) -> Optional[Value]:
        """The call's value, from the family that owns it (see the module's docstring)."""
        if self._seeds_global_rng(fact) or may_call_seeding_helper(fact):
            # Seeding torch's global RNG re-seeds the global generator a name may hold.
            state.gens[self.global_generator()] = FRESH
        site = CallSite(fact, callee, state, frame)
        if fact.qualname is not None:
            handler = name_handler(fact.qualname)
            if handler is not None:
                value = handler(self, site)
                if value is not UNHANDLED:
                    return value
        if fact.method is not None:
            handler = method_handler(fact.receiver, fact.method)
            if handler is not None:
                value = handler(self, site)
                if value is not UNHANDLED:
                    return value
        handler = callee_handler(callee)
        if handler is not None:
            value = handler(self, site)
            if value is not UNHANDLED:
                return value
        for watch in UNCLAIMED_WATCHERS:
            watch(self, site)
        return None

    # ------------------------------------------------------------------ generators

    def global_generator(self) -> GeneratorObject:
        """torch's default generator: one object per module."""
        obj = self.created_generators.get("<global>")
        if obj is None:
            obj = GeneratorObject(None, Const("cpu"), "torch.default_generator", is_global=True)
            self.created_generators["<global>"] = obj
        return obj

    def consume_generator(self, site: CallSite, pipeline_call: bool, callee=None) -> None:
        """A call that receives a generator: record the use; a pipeline call consumes it, and so
        does a local function that passes the argument on to a pipeline as its generator."""
        fact, state = site.fact, site.state
        consumed_via = None
        expr, value = fact.passed("generator")
        may_be_pipeline = False  # passed to a project method whose override may run a pipeline
        if not pipeline_call:
            expr, value, consumed_via = self._passed_on_to_a_pipeline(fact, expr, value, site.frame)
            if expr is None:
                return
            if isinstance(consumed_via, _MayReachPipeline):
                consumed_via, may_be_pipeline = None, True
            fact.via_function = consumed_via
        if expr is None:
            if pipeline_call:
                self._add_use(fact, None, None, state, "pipeline")
            return
        if value is None:
            value = self._opaque_generator(expr, state, site.frame, fact.node)
        if pipeline_call:
            consumer = "pipeline"
        elif consumed_via is not None:
            consumer = "helper"
        elif may_be_pipeline:
            consumer = "unknown"
        else:
            consumer = _consumer_of(fact, callee)
        use = self._add_use(fact, expr, value, state, consumer)
        if pipeline_call or consumed_via is not None:
            for obj in use.objects:
                current = state.gens.get(obj, RECEIVED)
                state.gens[obj] = GeneratorState(current.seeds, frozenset({fact.node}))

    def _passed_on_to_a_pipeline(self, fact: CallFact, expr, value, frame: Frame) -> tuple:
        """(expression, value, function name) of the argument that a local function, or a
        function of another project module, passes on to a pipeline as its generator; the
        call's own ``generator=`` (and no function name) otherwise."""
        func = self.functions.get(dotted_name(fact.node.func) or "")
        candidates = []  # (positional parameters, those passed on as generator=, name)
        if func is not None:
            candidates.append((positional_param_names(func), self.consuming_params.get(func, set()), func.name.value))
        elif fact.qualname is not None:
            params, consumed = self.project.generator_params(self.project.absolute(fact.qualname, self.path))
            candidates.append((params, consumed, fact.qualname))
        elif fact.method is not None:
            candidates = self._method_candidates(fact, frame)
        for params, consumed, via in candidates:
            if not consumed:
                continue
            for argument in fact.arguments:
                name = argument.keyword or (params[argument.position] if argument.position < len(params) else None)
                if name in consumed:
                    return argument.node.value, argument.value, via
        return expr, value, None

    def _method_candidates(self, fact: CallFact, frame: Frame) -> list:
        """What ``self.m(...)`` (in a method) or ``obj.m(...)`` (``obj`` made by constructing a
        class of the project) may run: the class's own or inherited ``m`` and its overrides,
        each as (parameters after ``self``, those passed on, name).

        A method of this module passes a parameter on, first, where the flow saw it reach a
        pipeline call (a use that consumes the generator, as a local function's does). Else the
        project summary of the method (this module's, an inherited one of another module, or an
        override in a subclass) says only that it reaches some ``generator=`` (``retrieve_latents
        (..., generator=g)`` too): as for a keyword passed to an unknown callee, the generator may
        reach a pipeline (RPL104), but is not taken as consumed (no RPL102 for a pipeline's
        ``__call__`` threading it through ``self.prepare_latents`` and ``self.prepare_mask_latents``)."""
        local_class, qualname = self.receiver_class(fact, frame)
        candidates = []
        method = self._local_method(local_class, fact.method)
        if method is not None:
            candidates.append((positional_param_names(method)[1:], self.consuming_params.get(method, set()),
                               f"{self._method_owner[method].name.value}.{fact.method}"))
        if qualname is not None:
            candidates.extend((params, consumed, _MayReachPipeline(name))
                              for params, consumed, name in self.project.method_generator_params(qualname, fact.method))
        return candidates

    def receiver_class(self, fact: CallFact, frame: Frame) -> tuple:
        """(the module's ClassDef, the project class's qualified name) of the instance a method
        is called on: ``self`` in a method, or a name bound to a construction."""
        if not isinstance(fact.node.func, cst.Attribute):
            return None, None
        receiver = dotted_name(fact.node.func.value)
        if receiver is None:
            return None, None
        local_class = qualname = None
        function = frame.function
        if function is not None and receiver == first_param(function) and function in self._method_owner:
            local_class = self._method_owner[function]
        else:
            made = self._instances.get((frame.scope, receiver))
            if isinstance(made, cst.ClassDef):
                local_class = made
            elif isinstance(made, str):
                qualname = made
        if local_class is not None and self.module_name:
            qualname = f"{self.module_name}.{local_class.name.value}"
        return local_class, qualname

    def _local_method(self, local_class: Optional[cst.ClassDef], name: str) -> Optional[cst.FunctionDef]:
        """The method ``name`` a class of the module defines or inherits from another of its classes."""
        seen = set()
        while local_class is not None and local_class.name.value not in seen:
            seen.add(local_class.name.value)
            method = next((s for s in local_class.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name),
                          None)
            if method is not None:
                return method
            local_class = next((self.classes[base] for base in (dotted_name(b.value) for b in local_class.bases)
                                if base in self.classes), None)
        return None

    def _note_method_call(self, fact: CallFact, frame: Frame) -> None:
        """A call of a method of the module's classes: its instance methods run seeded only if
        every such call seen is made seeded (``torch.seed()`` after the constructor undoes it)."""
        local_class, _ = self.receiver_class(fact, frame)
        method = self._local_method(local_class, fact.method) if local_class is not None else None
        if method is not None:
            self._method_calls_seeded[method] = self._method_calls_seeded.get(method, True) and fact.global_seeded

    def note_instance(self, key: Optional[str], value_node, frame: Frame) -> None:
        """``trainer = SDXLTrainer(...)``: which class ``trainer`` holds an instance of, for the
        methods called on it (by scope, not by path: enough to find the method)."""
        if key is None:
            return
        made = None
        if isinstance(value_node, cst.Call):
            written = dotted_name(value_node.func)
            if written in self.classes:
                made = self.classes[written]
            else:
                qualified = self.imports.resolve(value_node.func)
                if qualified is not None and not qualified.startswith(EXTERNAL_ROOTS):
                    made = self.project.absolute(qualified, self.path)
        if made is not None:
            self._instances[(frame.scope, key)] = made
        else:
            self._instances.pop((frame.scope, key), None)

    def _opaque_generator(self, expr, state: FlowState, frame: Frame, call_node) -> Optional[Value]:
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

    # ------------------------------------------------------------------ other shared facts

    def add_placement(self, node, key: Optional[str], description: str, pipeline: bool) -> None:
        """A model (a pipeline when ``pipeline``) placed on the GPU at ``node``; ``key`` names
        what holds it, and the name the statement binds is added."""
        for existing in self.model.placements:
            if existing.node is node:
                return
        placement = Placement(node, {key} if key else set(), description, pipeline)
        self.model.placements.append(placement)
        self._pending_placements.append(placement)

    def note_env_write(self, name: str, value, node, frame: Frame, how: str) -> None:
        if self.first_time("env", node):
            self.model.env_writes.append(EnvWrite(name, value, node, frame.scope, len(self.model.calls), how))

    def note_callsite(self, func: cst.FunctionDef, fact: CallFact, state: FlowState) -> None:
        """What this call passes to a function of the module, to bind its parameters next round."""
        self._callsite_seeded[func] = self._callsite_seeded.get(func, True) and state.seeded
        params = positional_param_names(func)
        record = self._callsites.setdefault(func, {})
        for argument in fact.arguments:
            name = argument.keyword
            if name is None and argument.position < len(params):
                name = params[argument.position]
            if name is not None:
                record.setdefault(name, []).append(argument.value)

    def first_time(self, kind: str, node) -> bool:
        """False when this fact was already recorded (a loop body's second pass)."""
        key = (kind, id(node))
        if key in self._recorded:
            return False
        self._recorded.add(key)
        return True


class _MayReachPipeline(str):
    """The name of a method of another module that passes a parameter on as some ``generator=``."""


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
