"""``child_nodes`` must be libcst's ``node.children`` (the same nodes in the same order) and
``Positions`` its ``PositionProvider``, for every node of real code: the rules' walks, the fixes
and the reported positions rely on both."""

from __future__ import annotations

import ast
import pathlib

import libcst as cst
import pytest

from reprolint.semantic.tree import child_nodes, parent_map, walk

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Shapes whose children depend on what the node holds: a field libcst visits only when set.
SHAPES = '''
x = f"{value!r:>{width}} {other=} {plain}"
async def f(a, /, b=1, *args, c, d: int = 2, **kw) -> "T":
    async with a as (b, c), d:
        async for e in f(*args, **kw):
            yield e
    return [i async for i in g() if i] or {k: v for k, v in h()} or (lambda *, q=1: q)
@decorator(1)
class C(Base, metaclass=M):
    x: int = 3
    def m(self): del self.x; global y; nonlocal_ = 1
try:
    pass
except* (E, F) as err:
    raise X from err
else:
    pass
finally:
    pass
match p:
    case [1, *rest] | {"k": v, **others} | Point(x=0) as pt if pt:
        pass
type Alias[T] = list[T]
a[1:2, ::3] = b if c else not d; e @= f ** -g
'''


def _sources() -> list:
    paths = sorted((ROOT / "reprolint").rglob("*.py"))[::3] + sorted((ROOT / "tests" / "corpus").rglob("*.py"))
    texts = [path.read_text("utf-8") for path in paths]
    return [SHAPES] + [text for text in texts if len(text) > 2000]


@pytest.mark.parametrize("index", range(len(_sources())))
def test_child_nodes_are_libcsts_children_in_order(index):
    module = cst.parse_module(_sources()[index])
    stack, seen = [module], 0
    while stack:
        node = stack.pop()
        expected = list(node.children)
        found = child_nodes(node)
        assert len(found) == len(expected), type(node).__name__
        assert all(a is b for a, b in zip(found, expected)), type(node).__name__
        stack.extend(expected)
        seen += 1
    assert seen > 50


def test_parent_map_and_walk_cover_every_node_once():
    module = cst.parse_module(SHAPES)
    nodes = list(walk(module))
    assert len({id(node) for node in nodes}) == len(nodes)
    parents = parent_map(module)
    assert len(parents) == len(nodes) - 1  # every node but the module has one parent
    for node in nodes[1:]:
        assert any(child is node for child in parents[node].children)


@pytest.mark.parametrize("index", range(len(_sources())))
def test_positions_are_libcsts_position_provider(index):
    from libcst.metadata import MetadataWrapper, PositionProvider

    from reprolint.semantic.positions import Positions

    module = cst.parse_module(_sources()[index])
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = Positions(module)
    assert len(expected) > 10
    for node, code_range in expected.items():
        assert found[node] == code_range, type(node).__name__


def test_positions_follow_every_line_ending():
    from libcst.metadata import MetadataWrapper, PositionProvider

    from reprolint.semantic.positions import Positions

    for newline in ("\n", "\r\n", "\r"):
        module = cst.parse_module(newline.join(["x = (1,", "     2)", "def f():", "    return '''a", "b'''", ""]))
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        found = Positions(module)
        assert all(found[node] == code_range for node, code_range in expected.items()), repr(newline)


def _partial_positions(source: str):
    from reprolint.semantic.positions import Positions
    from reprolint.semantic.tree import SyntaxIndex

    module = cst.parse_module(source)
    index = SyntaxIndex(module)
    return module, index, Positions(module, source, parents=lambda: index.parents)


@pytest.mark.parametrize("index", range(len(_sources())))
def test_positions_of_one_statement_at_a_time_are_the_whole_modules(index):
    from reprolint.semantic.positions import Positions

    source = _sources()[index]
    module, syntax, partial = _partial_positions(source)
    full = Positions(module)
    nodes = [node for node in syntax.parents if not isinstance(node, cst.Module)]
    for node in reversed(nodes):  # the last statements first: no earlier one is generated for them
        assert partial[node] == full[node], type(node).__name__
    try:
        ast.parse(source)
    except SyntaxError:  # newer syntax than this Python's (``type X = ...``): the whole module
        return
    assert partial._ranges is None  # every node came from its own statement's generation


@pytest.mark.parametrize("source", [
    "x = [\n    1,\n]\ny = f(x)",  # no newline at the end: the last statement's text differs
    "# a\n\n@dec\n# b\n@dec2(\n  1)\ndef f():\n    pass\nx = 1; y = g(2)\n",
    "if a:\r\n    b = 1\r\nelse:\r\n    c = h(\r\n 2)\r\n",
    "\ufeffx = 1\n",
])
def test_positions_of_one_statement_fall_back_when_the_text_disagrees(source):
    from reprolint.semantic.positions import Positions

    module, syntax, partial = _partial_positions(source.lstrip("\ufeff"))
    full = Positions(module)
    for node in reversed([n for n in syntax.parents if not isinstance(n, cst.Module)]):
        assert partial[node] == full[node], type(node).__name__


LITERALS = ["0", "10", "0x1F", "0o17", "0b101", "1_000", "0_0", "1.5", "1e5", ".5", "1_0.0_1", "5.", "'a'", '"b"',
            "'''c\nd'''", '"""e"""', "''''''", "r'x\\y'", "b'z'", "'\\n'", "u'q'", "'a' 'b'", '"\'"', "'\\''"]


@pytest.mark.parametrize("text", LITERALS)
def test_literal_value_is_libcsts_evaluated_value(text):
    from reprolint.semantic.tree import literal_value

    node = cst.parse_expression(text)
    expected = node.evaluated_value
    found = literal_value(node)
    assert found == expected and type(found) is type(expected)


def test_literal_value_agrees_on_every_literal_of_real_code():
    from reprolint.semantic.tree import literal_value

    kinds = (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)
    checked = 0
    for source in _sources():
        for node in walk(cst.parse_module(source)):
            if isinstance(node, kinds):
                try:
                    expected = node.evaluated_value
                except Exception:
                    continue
                assert literal_value(node) == expected, node
                checked += 1
    assert checked > 500
