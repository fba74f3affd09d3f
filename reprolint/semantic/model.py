"""The facts the semantic layer derives from one module, and the questions rules ask of them."""

from __future__ import annotations

import builtins
import sys

from dataclasses import dataclass, field
from typing import NamedTuple, Optional

import libcst as cst
from libcst.metadata import CodeRange

from reprolint.semantic import held_generators
from reprolint.semantic.bindings import NameLookup
from reprolint.semantic.positions import Positions
from reprolint.semantic.tree import SyntaxIndex
from reprolint.semantic.imports import ImportTable, dotted_name
from reprolint.semantic import catalog
from reprolint.semantic.values import (
    Const,
    DictValue,
    Generator,
    GeneratorObject,
    Pipeline,
    Scheduler,
    Tensor,
    Value,
    possible_values,
)


@dataclass(frozen=True)
class GeneratorState:
    """What may be true of a generator at a point of the program, over every path reaching it.

    ``seeds``: how it was last seeded: ``"manual"`` (``manual_seed``), ``"none"`` (never),
    ``"nondet"`` (``.seed()``), ``"unknown"`` (received from elsewhere).
    ``consumers``: the pipeline calls that drew from it since it was last seeded.
    """

    seeds: frozenset
    consumers: frozenset = frozenset()

    def join(self, other: "GeneratorState") -> "GeneratorState":
        return GeneratorState(self.seeds | other.seeds, self.consumers | other.consumers)


@dataclass
class Argument:
    keyword: Optional[str]  # None for a positional argument
    position: int
    value: Optional[Value]
    node: cst.Arg


@dataclass
class CallFact:
    """One call expression, with its callee and arguments resolved as far as they can be."""

    node: cst.Call
    scope: str
    qualname: Optional[str]  # the imported function or class called, if any
    method: Optional[str]  # ``step`` for ``x.step(...)``
    receiver: Optional[Value]  # the value of ``x`` in ``x.step(...)``
    arguments: list = field(default_factory=list)
    star_kwargs: list = field(default_factory=list)  # values of ``**kw`` arguments
    star_args: bool = False
    loop_depth: int = 0
    pipeline: Optional[Pipeline] = None  # set when this is a pipeline call
    via_function: Optional[str] = None  # a local function that calls a pipeline with our generator
    # torch's global generator was seeded on every path reaching this call (``torch.manual_seed``,
    # ``set_seed``, ``seed_everything`` or a seeding helper, also in the function's callers).
    global_seeded: bool = False
    # A call of a project function or class that seeds torch's global generator, perhaps only
    # under a test of its arguments (``if args.seed is not None:``).
    seeding_call: bool = False

    def keyword(self, name: str) -> Optional[Argument]:
        for arg in self.arguments:
            if arg.keyword == name:
                return arg
        return None

    def positional(self, index: int) -> Optional[Argument]:
        for arg in self.arguments:
            if arg.keyword is None and arg.position == index:
                return arg
        return None

    def argument_for(self, name: str, index: Optional[int] = None, skipped: int = 0) -> Optional[Argument]:
        """What the call passes for the callee's parameter ``name``, its ``index``-th positional
        one: by keyword, else by position, after the ``skipped`` leading parameters a call does
        not write (``self`` of a method called on an instance, or of ``__init__``)."""
        argument = self.keyword(name)
        if argument is None and index is not None and index >= skipped:
            argument = self.positional(index - skipped)
        return argument

    def passes(self, name: str) -> Optional[bool]:
        """Whether the call passes ``name=``: True, False, or None when a ``**kw`` may carry it."""
        if self.keyword(name) is not None:
            return True
        for value in self.star_kwargs:
            if isinstance(value, DictValue):
                if value.has(name):
                    return True
            else:
                return None
        return False

    def passed_value(self, name: str) -> Optional[Value]:
        return self.passed(name)[1]

    def passed(self, name: str) -> tuple:
        """(expression, value) of what the call passes as ``name=``: the keyword's value, or the
        ``**kw`` expression whose dict holds it; (None, None) when it passes none that is known."""
        arg = self.keyword(name)
        if arg is not None:
            return arg.node.value, arg.value
        star_nodes = [a.value for a in self.node.args if a.star == "**"]
        for value, node in zip(self.star_kwargs, star_nodes):
            if isinstance(value, DictValue) and value.has(name):
                return node, value.get(name)
        return None, None


@dataclass
class GeneratorUse:
    """A generator (or what stands where one belongs) passed to a call as ``generator=``."""

    call: CallFact
    expr: cst.CSTNode  # the argument's value expression (or the ``**kw`` expression)
    value: Optional[Value]
    module: cst.Module = field(repr=False)
    objects: tuple = ()  # the GeneratorObjects it stands for
    states: dict = field(default_factory=dict)  # GeneratorObject -> GeneratorState before the call
    # What receives it: "pipeline" (a known pipeline call), "helper" (a function of the module that
    # passes it on to a pipeline), "unknown" (a call of something unknown that is no low-level draw:
    # a parameter ``pipe``, ``self.pipe``, a helper's return value, an imported project function),
    # or "other" (a low-level draw such as ``torch.randn``, or a callee known not to be a pipeline).
    consumer: str = "other"

    @property
    def at_pipeline(self) -> bool:
        """Received by a pipeline call, directly or through a function of the module."""
        return self.consumer in ("pipeline", "helper")

    @property
    def may_reach_pipeline(self) -> bool:
        """Received by a call that is, or may be, a pipeline call."""
        return self.consumer != "other"

    @property
    def at_pipeline_like(self) -> bool:
        """Received by a pipeline call, or by an unknown callee named like a pipeline
        (``pipe(...)``, ``self.pipeline(...)``, ``load_pipeline()(...)``)."""
        if self.at_pipeline:
            return True
        if self.consumer != "unknown":
            return False
        func = self.call.node.func
        while isinstance(func, (cst.Call, cst.Subscript)):
            func = func.func if isinstance(func, cst.Call) else func.value
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else "")
        return catalog.names_a_pipeline(name)

    @property
    def label(self) -> str:
        """The source text naming it, for messages: ``g``, ``self.generator``. Rendered only
        when a rule reports, since rendering code is costly."""
        return self.module.code_for_node(self.expr) if self.expr is not None else ""


@dataclass
class Placement:
    """A pipeline or model put on a GPU: ``.to("cuda")``, ``device_map="auto"``, offloading."""

    node: cst.CSTNode
    keys: set  # the names that hold the placed object
    description: str
    pipeline: bool = False


@dataclass
class ListAliasing:
    node: cst.CSTNode
    label: str


class AttributeAssignment(NamedTuple):
    """``torch.backends.cudnn.benchmark = True``: an assignment to an imported attribute."""

    target: cst.CSTNode
    qualified: str
    value: Optional[Value]
    statement: cst.CSTNode  # the Assign / AnnAssign


@dataclass
class EnvWrite:
    """A write to the process environment: ``os.environ[name] = v``, ``setdefault``, ``putenv``."""

    name: str
    value: Optional[Value]
    node: cst.CSTNode
    scope: str
    order: int  # how many calls were evaluated before it (orders it against CUDA work)
    how: str  # "os.environ[...] =", "os.environ.setdefault", "os.putenv", "os.environ.update"


@dataclass
class SeedTruthTest:
    """A seed tested for truth: ``if args.seed:``, ``x if seed else y``, ``seed or 42``.

    ``node`` is what a fix replaces: the tested name (``seed is not None``), the ``not seed``
    operation (``seed is None``) or the whole ``seed or default``.
    """

    node: cst.CSTNode
    expr: cst.CSTNode  # the seed expression itself
    label: str
    kind: str  # "test", "not", "or"


@dataclass
class SemanticModel:
    module: cst.Module
    source: str
    path: str
    imports: ImportTable
    calls: list = field(default_factory=list)  # CallFact, in source order of evaluation
    generator_uses: list = field(default_factory=list)
    placements: list = field(default_factory=list)
    called_keys: set = field(default_factory=set)
    aliased_lists: list = field(default_factory=list)
    # AttributeAssignment, for ``torch.backends.cudnn.benchmark = True`` and the like.
    attribute_assignments: list = field(default_factory=list)
    env_writes: list = field(default_factory=list)  # EnvWrite
    seed_truth_tests: list = field(default_factory=list)  # SeedTruthTest
    scheduler_creations: list = field(default_factory=list)  # (CallFact, Scheduler)
    distribution_samples: list = field(default_factory=list)  # CallFact of ``latent_dist.sample()``
    main_guard: Optional[cst.CSTNode] = None  # the module's ``if __name__ == "__main__":``
    # The project index says the module is run (a gradio/streamlit app that launches, a cog
    # predictor), not only imported.
    runs_as_app: bool = False
    # Another module of the linted project imports this one: a library, whatever its
    # ``__main__`` block holds.
    imported_by_project: bool = False
    # id(CallFact) -> the typed facts (``reprolint.semantic.project_facts``) of the project
    # function or class it calls, through the project functions that one calls.
    project_call_facts: dict = field(default_factory=dict)
    # id(CallFact) of a call of another module's function whose ``**kwargs`` reach a DataLoader
    # without ``generator=``/``worker_init_fn=`` -> what that DataLoader passes itself
    # (``ProjectIndex.dataloader_forwarding``).
    project_dataloaders: dict = field(default_factory=dict)
    # id(CallFact) of calls of a helper named in ``determinism-helpers`` (assumed to do it all).
    configured_determinism_helpers: set = field(default_factory=set)
    generator_objects: list = field(default_factory=list)
    determinism_setups: list = field(default_factory=list)  # CallFact
    seeding_calls: list = field(default_factory=list)  # CallFact
    # The module's stdlib ast when the engine has it (positions read statement lines from it).
    stdlib_tree: Optional[object] = field(default=None, repr=False)
    _positions: Optional[dict] = None
    _memo: dict = field(default_factory=dict, repr=False)
    _call_order: Optional[dict] = None

    # -- questions rules ask -------------------------------------------------------------

    @property
    def pipeline_calls(self) -> list:
        return [c for c in self.calls if c.pipeline is not None]

    def calls_to(self, *qualnames: str) -> list:
        wanted = set(qualnames)
        return [c for c in self.calls if c.qualname in wanted]

    def memo(self, key: str, compute):
        """``compute(module)`` once per model: derived views (a parent map, the module-level
        imports) that only some consumers need, so the model does not build them up front."""
        if key not in self._memo:
            self._memo[key] = compute(self.module)
        return self._memo[key]

    def position(self, node: cst.CSTNode) -> CodeRange:
        """1-based line, 0-based column range (libcst's); computed lazily, once per module.

        Positions cost a second pass over the tree, so files without findings never pay it.
        """
        if self._positions is None:
            self._positions = Positions(self.module, self.source, parents=lambda: self.syntax.parents,
                                        stdlib_tree=self.stdlib_tree)
        return self._positions[node]

    @property
    def syntax(self) -> SyntaxIndex:
        """The module's one shared walk (parents, nodes by type), built on first use."""
        return self.memo("syntax", SyntaxIndex)

    def line(self, node: cst.CSTNode) -> int:
        return self.position(node).start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def encloses(self, outer: cst.CSTNode, node: cst.CSTNode) -> bool:
        """Whether ``node`` lies within ``outer`` in the source (``outer`` itself included)."""
        inner, around = self.position(node), self.position(outer)
        return (around.start.line, around.start.column) <= (inner.start.line, inner.start.column) and (
            inner.end.line, inner.end.column) <= (around.end.line, around.end.column)

    def made_at(self, node: cst.CSTNode) -> str:
        """``line 12 (`torch.Generator("cuda")`)``: where a generator or a tensor was made, for
        messages reported where it is used. Long or multi-line code is cut to its callee."""
        text = self.code(node).strip()
        if "\n" in text or len(text) > 60:
            text = (self.code(node.func) + "(...)") if isinstance(node, cst.Call) else text.split("\n", 1)[0][:57] + "..."
        return f"line {self.line(node)} (`{text}`)"

    def generator_made_at(self, obj: GeneratorObject) -> str:
        """``made_at`` of a generator's creation; for one a project function makes, also where
        (``line 11 (`ValidationState(seed)`, which creates it in `state.ValidationState.__init__`,
        line 8)``)."""
        if obj.made_in is not None and not isinstance(obj.created_at, cst.Call):
            # Kept on ``self`` by a base class of another module: ``created_at`` is the base.
            return f"{obj.made_in} (kept on self by the base class `{self.code(obj.created_at)}`)"
        where = self.made_at(obj.created_at)
        if obj.made_in is None:
            return where
        return f"{where[:-1]}, which creates it in {obj.made_in})"

    def uses_of(self, obj: GeneratorObject) -> list:
        return [u for u in self.generator_uses if obj in u.objects]

    def assignments_to(self, *qualified: str) -> list:
        wanted = set(qualified)
        return [a for a in self.attribute_assignments if a.qualified in wanted]

    def call_fact(self, node: cst.CSTNode) -> Optional[CallFact]:
        index = self.call_order(node)
        return self.calls[index] if index is not None else None

    def call_order(self, node: cst.CSTNode) -> Optional[int]:
        """The index of a call in evaluation order (module body first, then functions)."""
        if self._call_order is None:
            self._call_order = {id(c.node): i for i, c in enumerate(self.calls)}
        return self._call_order.get(id(node))

    @property
    def lasting_determinism_setups(self) -> list:
        """Determinism setups other than a scoped toggle: a function that saves
        ``torch.are_deterministic_algorithms_enabled()``, switches deterministic algorithms on
        around one operation and restores the saved mode (``use_deterministic_algorithms(prior)``).
        Such a helper sets up nothing for the module it lives in."""
        restoring_scopes = {
            c.scope for c in self.calls_to(*catalog.USE_DETERMINISTIC_ALGORITHMS)
            if (c.positional(0) or c.keyword("mode")) is not None
            and not isinstance((c.positional(0) or c.keyword("mode")).value, Const)
        }
        return [c for c in self.determinism_setups
                if not (c.qualname in catalog.USE_DETERMINISTIC_ALGORITHMS and c.scope in restoring_scopes)]

    def call_does(self, call: CallFact, fact: str) -> bool:
        """Whether a call of a project function (or class) does ``fact``
        (``reprolint.semantic.project_facts``), directly or through the functions it calls."""
        return fact in self.project_call_facts.get(id(call), ())

    def draws_from_seeded_global_rng(self, node: cst.CSTNode) -> bool:
        """Whether the call ``node`` runs where torch's global generator was seeded on every
        path before it (also through the function's callers): a draw from it without a
        ``generator=`` is then reproducible, if fragile. RPL101, RPL109, RPL110 and RPL111 share
        this one answer."""
        fact = self.call_fact(node)
        return fact is not None and fact.global_seeded

    def global_rng_draws(self) -> list:
        """(node, description) of every draw from torch's global random state, in evaluation
        order: sampling pipeline calls, ``torch.randn``-style calls and ``latent_dist.sample()``
        without a generator, and training steps (``backward`` in a loop: initialisation,
        dropout and shuffling all draw from it)."""
        draws = []
        samples = {id(c) for c in self.distribution_samples}
        for call in self.calls:
            if call.pipeline is not None:
                if (catalog.is_sampling_pipeline_class(call.pipeline.class_name)
                        and call.passes("generator") is False and call.passes("latents") is False
                        and not call.star_args):
                    draws.append((call.node, "a pipeline call without a generator"))
            elif call.qualname in catalog.TORCH_RANDOM_FUNCTIONS and call.passes("generator") is False:
                draws.append((call.node, f"`{call.qualname}` without a generator"))
            elif id(call) in samples and call.passes("generator") is False and not call.arguments:
                draws.append((call.node, "`latent_dist.sample()` without a generator"))
            elif call.method == "backward" and call.loop_depth:
                draws.append((call.node, "a training loop"))
        return draws

    def global_rng_may_be_drawn_after(self, node: cst.CSTNode) -> bool:
        """Whether code that may run after the call ``node`` may draw from torch's global random
        state, so that seeding it there (``torch.manual_seed(s)`` as a call's argument) may matter.
        Conservative, since a safe fix depends on it: a call in another scope counts wherever it
        stands (functions run when called), and so does every call when ``node`` is in a loop."""
        flagged = self.call_fact(node)
        if flagged is None:
            return True
        draws = {id(draw) for draw, _ in self.global_rng_draws()}
        index = self.call_order(node)
        for position, call in enumerate(self.calls):
            if call is flagged:
                continue
            later = call.scope != flagged.scope or position > index or flagged.loop_depth > 0
            if later and _may_draw_globally(call, draws):
                return True
        return False

    def is_entry_point(self) -> bool:
        """A module meant to be run: a notebook, a module with ``if __name__ == "__main__":``,
        an app script (gradio or streamlit that launches, a cog predictor), or one that calls a
        pipeline or a GPU-placed model, or runs a training loop, at its top level. Top-level random
        draws alone do not make one: library modules build example inputs that way. Library
        modules (model classes, annotators, a package's ``__init__.py``) are not entry points."""
        if self.main_guard is not None or self.runs_as_app or self.path.endswith(".ipynb"):
            return True
        placed = set().union(*(p.keys for p in self.placements)) if self.placements else set()
        for call in self.calls:
            if call.scope != "<module>":
                continue
            if call.pipeline is not None or (call.method == "backward" and call.loop_depth):
                return True
            if placed and _callee_key(call) in placed:
                return True
        return False

    def may_seed_globally(self) -> bool:
        """Whether the module makes a seeding call, or a call that may well be one: a function of
        its own or of another project named like ``seed_everything``/``setup_seed``/``fix_seeds``.
        Used only to keep rules silent."""
        if self.seeding_calls:
            return True
        return any(may_call_seeding_helper(call) for call in self.calls)

    # -- generators written down (``held_generators``)

    def generator_creation(self, expr: cst.BaseExpression) -> Optional[cst.Call]:
        """The ``torch.Generator(...)`` call ``expr`` makes its value with (``torch.Generator()``
        itself, or followed by ``.manual_seed(s)``), else None."""
        return held_generators.generator_creation(self.imports, expr)

    def is_generator_parameter(self, param: cst.Param) -> bool:
        """A parameter named ``generator``/``*_generator`` or annotated ``torch.Generator``."""
        return held_generators.is_generator_parameter(self.imports, param)

    def seeded_generator_names(self, func: cst.FunctionDef) -> dict:
        """Local names ``func`` binds to a seeded generator: name -> (statement, on_cpu)."""
        return self.memo(f"seeded-generator-names-{id(func)}",
                         lambda _: held_generators.seeded_generator_names(self.imports, func))

    def class_generators(self, cls: cst.ClassDef) -> dict:
        """``self.<attr>`` the methods of ``cls`` keep a seeded generator (or a generator
        parameter) in: attr -> (on_cpu, the method, the assignment)."""
        return self.memo(f"class-generators-{id(cls)}", lambda _: held_generators.class_generators(self.imports, cls))

    # -- names

    @property
    def name_lookup(self) -> NameLookup:
        """The value a name is bound to, when bound exactly once in its scope (``bindings``)."""
        return self.memo("name-lookup", lambda module: NameLookup(module, self.syntax.parents))

    # -- schedulers

    def step_noise(self, call: CallFact) -> Optional[str]:
        """Why ``<scheduler>.step(...)`` draws noise, or None when it does not or may not.

        Only a scheduler whose class is known, and settings whose values are known (passed as
        literals, or left at the class default), give an answer; anything else is None.
        """
        if call.method != "step" or not isinstance(call.receiver, Scheduler):
            return None
        scheduler = call.receiver
        entry = catalog.scheduler_step_noise(scheduler.class_name)
        if entry is None:
            return None
        short = scheduler.class_name.rsplit(".", 1)[-1]
        noise_argument = entry.get("noise_argument")
        if noise_argument and call.passes(noise_argument) is not False:
            return None
        if entry["draws"] == "always":
            for setting in entry.get("unless_config_set", ()):
                if scheduler.passes(setting) is not False:
                    return None
            return f"`{short}.step` always draws noise"
        if entry["draws"] != "when":
            return None
        for gates in entry["any_of"]:
            reasons = []
            for gate in gates:
                opened = self._gate_opened(call, scheduler, gate)
                if opened is None:
                    return None
                if not opened:
                    break
                reasons.append(gate["name"])
            else:
                return f"`{short}.step` draws noise with this {'/'.join(reasons)} setting"
        return None

    @staticmethod
    def _gate_opened(call: CallFact, scheduler: Scheduler, gate: dict) -> Optional[bool]:
        if gate["source"] == "argument":
            if len([a for a in call.arguments if a.keyword is None]) > 3 or call.star_args:
                return None  # passed positionally: not worth guessing which is which
            passed = call.passes(gate["name"])
            if passed is None:
                return None
            value = call.passed_value(gate["name"]) if passed else Const(gate["default"])
        else:
            known, value = scheduler.setting(gate["name"])
            if not known:
                return None
            if value is None:
                value = Const(gate["default"])
        results = set()
        for option in possible_values(value):
            if not isinstance(option, Const):
                return None
            results.add(_gate_test(gate["test"], option.value))
        if None in results or len(results) != 1:
            return None
        return results.pop()

    # -- tensors

    def unseeded_tensor(self, value: Optional[Value]) -> Optional[Tensor]:
        return value if isinstance(value, Tensor) and not value.seeded else None


def _callee_key(call: CallFact) -> Optional[str]:
    func = call.node.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("forward", "generate", "__call__", "sample"):
        func = func.value
    return dotted_name(func)


# Methods with "seed" in their name that do not seed the global random state.
_NOT_SEEDING_METHODS = frozenset({"seed", "initial_seed", "manual_seed", "get_seed"})


def may_call_seeding_helper(call: CallFact) -> bool:
    """A call of a function of the project named like a seeding helper (``seed_everything``,
    ``setup_seed``, ``utils.fix_seeds``): it may well seed the global RNG. Used only to keep rules
    silent."""
    written = call.node.func
    last = written.attr.value if isinstance(written, cst.Attribute) else (
        written.value if isinstance(written, cst.Name) else "")
    if "seed" not in last.lower() or last in _NOT_SEEDING_METHODS:
        return False
    return not (isinstance(call.receiver, Generator) or (call.qualname or "").startswith("torch."))


def _gate_test(test, value) -> Optional[bool]:
    if test == ">0":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None if value is not None else False
        return value > 0
    if test == "truthy":
        if value is None or isinstance(value, (bool, int, float, str)):
            return bool(value)
        return None
    if isinstance(test, dict) and "in" in test:
        if not isinstance(value, str):
            return None
        return value in test["in"]
    return None


# Libraries whose calls never touch torch's global random state (numpy and random have their own).
_NON_TORCH_RANDOM_PACKAGES = frozenset({
    "PIL", "numpy", "matplotlib", "tqdm", "cv2", "imageio", "einops", "safetensors", "huggingface_hub",
    "gradio", "streamlit", "click", "yaml", "omegaconf", "pandas", "requests",
})


def _may_draw_globally(call: CallFact, draws: set) -> bool:
    """Whether ``call`` may draw from torch's global random state: a known draw, a model or
    layer constructed (weight initialisation), dropout, or a function whose body is not known
    (the project's own, another library's)."""
    if id(call.node) in draws:
        return True
    if call.pipeline is not None:
        return False  # a pipeline call that draws globally is among ``draws``
    if call.qualname:
        package, _, rest = call.qualname.partition(".")
        last = call.qualname.rsplit(".", 1)[-1]
        if package == "torch":
            return ("dropout" in last.lower() or (rest.startswith("nn.init.") and call.passes("generator") is False)
                    or (rest.startswith("nn.") and last[:1].isupper()))
        if package in ("diffusers", "transformers"):
            return last[:1].isupper()  # a model built from its config initialises its weights
        return not (package in sys.stdlib_module_names or package in _NON_TORCH_RANDOM_PACKAGES)
    if call.method is not None:
        return call.method in catalog.LOW_LEVEL_DRAW_METHODS and call.passes("generator") is False
    if isinstance(call.node.func, cst.Name) and hasattr(builtins, call.node.func.value):
        return False
    return True
