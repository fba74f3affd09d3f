"""The facts the semantic layer derives from one module, and the questions rules ask of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from reprolint.semantic.imports import ImportTable
from reprolint.semantic.values import DictValue, GeneratorObject, Pipeline, Value


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
        arg = self.keyword(name)
        if arg is not None:
            return arg.value
        for value in self.star_kwargs:
            if isinstance(value, DictValue) and value.has(name):
                return value.get(name)
        return None


@dataclass
class GeneratorUse:
    """A generator (or what stands where one belongs) passed to a call as ``generator=``."""

    call: CallFact
    expr: cst.CSTNode  # the argument's value expression (or the ``**kw`` expression)
    value: Optional[Value]
    module: cst.Module = field(repr=False)
    objects: tuple = ()  # the GeneratorObjects it stands for
    states: dict = field(default_factory=dict)  # GeneratorObject -> GeneratorState before the call

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
    # (node, qualified target, value) for ``torch.backends.cudnn.benchmark = True`` and the like.
    attribute_assignments: list = field(default_factory=list)
    generator_objects: list = field(default_factory=list)
    determinism_setups: list = field(default_factory=list)  # CallFact
    seeding_calls: list = field(default_factory=list)  # CallFact
    _positions: Optional[dict] = None

    # -- questions rules ask -------------------------------------------------------------

    @property
    def pipeline_calls(self) -> list:
        return [c for c in self.calls if c.pipeline is not None]

    def calls_to(self, *qualnames: str) -> list:
        wanted = set(qualnames)
        return [c for c in self.calls if c.qualname in wanted]

    def position(self, node: cst.CSTNode) -> CodeRange:
        """1-based line, 0-based column range (libcst's); computed lazily, once per module.

        Positions cost a second pass over the tree, so files without findings never pay it.
        """
        if self._positions is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions[node]

    def line(self, node: cst.CSTNode) -> int:
        return self.position(node).start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def uses_of(self, obj: GeneratorObject) -> list:
        return [u for u in self.generator_uses if obj in u.objects]
