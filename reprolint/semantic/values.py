"""The abstract values the analyzer tracks for names and attributes.

A value describes what a name holds as far as reproducibility is concerned: a pipeline, a
generator, a device string, a constant, a seeded or unseeded random tensor. ``None`` stands for
"unknown", and every rule treats unknown as "stay silent".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst


class Value:
    """Base of every abstract value."""


@dataclass(frozen=True)
class Const(Value):
    value: object


@dataclass(frozen=True)
class OneOf(Value):
    """A value that is one of several, depending on the path taken (``"cuda" if ok else "cpu"``)."""

    options: frozenset

    def __iter__(self):
        return iter(self.options)


@dataclass(frozen=True)
class QualifiedRef(Value):
    """An imported module, class or function: ``torch.Generator``, ``diffusers.DDIMPipeline``."""

    name: str


@dataclass(frozen=True)
class LocalFunction(Value):
    name: str


@dataclass(frozen=True)
class LocalClass(Value):
    name: str
    pipeline_base: Optional[str] = None  # the diffusers pipeline class it derives from


@dataclass(frozen=True)
class Pipeline(Value):
    class_name: Optional[str]  # qualified, or None when only known to be "a pipeline"
    origin: Optional[cst.CSTNode] = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Device(Value):
    """A device whose kind is known: ``"cuda"``, ``"cuda:?"`` (f-string), ``"cpu"``, ``"mps"``,
    or a symbolic one: ``"<pipeline>.device"``, ``"<accelerator>.device"``."""

    kind: str


@dataclass(frozen=True)
class Accelerator(Value):
    pass


@dataclass(eq=False)
class GeneratorObject:
    """One ``torch.Generator`` object, identified by where it is created.

    ``opaque`` objects stand for generators received from elsewhere (a parameter); nothing is
    known of their device or seed.
    """

    created_at: Optional[cst.CSTNode]
    device: Optional[Value]
    label: str
    opaque: bool = False
    # The object created by ``torch.manual_seed`` / ``torch.default_generator``.
    is_global: bool = False
    # Made by a function of another module (or by this module's helper): ``created_at`` is
    # then the call here that made it, and this says where the ``torch.Generator(...)`` is
    # (``\`state.make_generator\`, line 27``); nothing here can edit that.
    made_in: Optional[str] = None


@dataclass(frozen=True)
class Generator(Value):
    obj: GeneratorObject = field(hash=False, compare=False)
    # The call that gave this reference, where the object itself has no creation site of its
    # own: ``torch.manual_seed(1)`` for the global generator it returns. Not part of identity.
    origin: Optional[cst.CSTNode] = field(default=None, hash=False, compare=False)
    # identity is the object's identity
    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, Generator) and other.obj is self.obj


@dataclass(frozen=True)
class ProjectObject(Value):
    """An instance of a project class that keeps generators on itself
    (``self.generator = torch.Generator("cuda").manual_seed(seed)``, project index): reading
    ``<instance>.generator`` gives that generator, one object per instance made."""

    class_name: str
    generators: tuple = field(default=(), compare=False, hash=False)  # ((attribute, GeneratorObject), ...)

    def generator(self, attribute: str) -> Optional[GeneratorObject]:
        return next((obj for attr, obj in self.generators if attr == attribute), None)


@dataclass(frozen=True)
class GeneratorList(Value):
    """A list of generators. ``aliased`` when it holds the same object several times."""

    objs: tuple
    aliased: bool = False


@dataclass(frozen=True)
class Tensor(Value):
    """A tensor drawn by a torch random function; ``seeded`` when it was given a generator."""

    drawn_at: cst.CSTNode = field(compare=False, hash=False)
    seeded: bool = False


@dataclass(frozen=True)
class Scheduler(Value):
    class_name: Optional[str]
    origin: Optional[cst.CSTNode] = field(default=None, compare=False, hash=False)
    kwargs: tuple = ()  # (keyword, Value) pairs from the constructor or from_config call
    # How it was made: "init" (``X(...)``), "from_config", "from_pretrained", or "annotation" (a
    # parameter annotated with the class).
    made_by: str = "init"
    # A ``**kw`` in that call: any setting may have been passed.
    open_kwargs: bool = False

    def setting(self, name: str) -> tuple:
        """(known, value) of a configuration setting passed when the scheduler was made.

        ``(True, None)`` when it was not passed (the class default applies) and nothing else
        could have passed it; ``(False, None)`` when a ``**kw`` may have.
        """
        for keyword, value in self.kwargs:
            if keyword == name:
                return True, value
        return (False, None) if self.open_kwargs else (True, None)

    def passes(self, name: str) -> Optional[bool]:
        if any(keyword == name for keyword, _ in self.kwargs):
            return True
        return None if self.open_kwargs else False


@dataclass(frozen=True)
class Distribution(Value):
    """A diffusers ``DiagonalGaussianDistribution`` (``vae.encode(x).latent_dist``)."""

    origin: Optional[cst.CSTNode] = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class DataSampler(Value):
    """A ``torch.utils.data`` sampler: whether it shuffles at all (``DistributedSampler(...,
    shuffle=False)`` does not), and whether its order comes from its own seed
    (``DistributedSampler``'s ``seed=``, a sampler given ``generator=``) rather than from torch's
    global generator."""

    shuffles: bool = True
    orders_itself: bool = False


@dataclass(frozen=True)
class Sequence(Value):
    """A list or tuple of things other than generators (prompts, images); ``length`` if known."""

    length: Optional[int] = None


@dataclass(frozen=True)
class DictValue(Value):
    """A dict literal with string keys: ``{"prompt": p, "generator": g}``."""

    items: tuple  # ((key, Value), ...)

    def get(self, key: str) -> Optional[Value]:
        for k, v in self.items:
            if k == key:
                return v
        return None

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.items)

    def with_item(self, key: str, value: Optional[Value]) -> "DictValue":
        items = tuple((k, v) for k, v in self.items if k != key) + ((key, value),)
        return DictValue(items)


def join(a: Optional[Value], b: Optional[Value]) -> Optional[Value]:
    """The value a name holds after two paths meet."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if isinstance(a, Pipeline) and isinstance(b, Pipeline):
        return Pipeline(a.class_name if a.class_name == b.class_name else None, a.origin)
    # ``g = torch.Generator(...).manual_seed(s) if seed is not None else None``: where a
    # generator is passed at all, it is that one.
    for maybe, other in ((a, b), (b, a)):
        if isinstance(maybe, (Generator, GeneratorList)) and other == Const(None):
            return maybe
    options = set()
    for v in (a, b):
        if isinstance(v, OneOf):
            options |= v.options
        elif isinstance(v, (Const, Device, DataSampler)):
            options.add(v)
        else:
            return None
    return OneOf(frozenset(options))


def possible_values(value: Optional[Value]) -> list:
    if isinstance(value, OneOf):
        return list(value.options)
    return [value]


def device_of_kinds(kinds) -> Optional[Value]:
    """The value of a device written as kinds (the project index's ``["cuda"]``,
    ``["<accelerator>.device"]``, ``["cpu", "cuda"]``); None (unknown) for None."""
    if kinds is None:
        return None
    values = [Device(kind) if kind.endswith(":?") or kind.startswith("<") else Const(kind) for kind in kinds]
    return values[0] if len(values) == 1 else OneOf(frozenset(values))


def device_kinds(value: Optional[Value]) -> set:
    """Every device kind a value may name; empty when unknown."""
    kinds = set()
    for option in possible_values(value):
        if isinstance(option, Device):
            kinds.add(option.kind)
        elif isinstance(option, Const) and isinstance(option.value, str):
            kinds.add(option.value)
        elif isinstance(option, Const) and option.value is None:
            kinds.add("cpu")
    return kinds


def is_int_value(value: Optional[Value]) -> bool:
    options = possible_values(value)
    return bool(options) and all(
        isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool)
        for v in options
    )
