"""Suppression comments: line and file level, and the opt-in unused-noqa check (RPL900)."""

from __future__ import annotations

from tests.conftest import BAD_PIPELINE, lint

UNSEEDED = """\
import torch
from diffusers import StableDiffusionPipeline
pipe = StableDiffusionPipeline.from_pretrained("x")
generator = torch.Generator("cpu")
image = pipe("a cat", generator=generator).images[0]
"""


def findings(code, select="RPL101,RPL107"):
    return [(f.code, f.start.line, f.start.column) for f in lint(code, select=select)]


def test_file_level_noqa_suppresses_everything():
    assert findings("# reprolint: noqa\n" + UNSEEDED + BAD_PIPELINE) == []


def test_file_level_noqa_with_codes_suppresses_only_those():
    assert findings("# reprolint: noqa: RPL107\n" + UNSEEDED) == []
    assert findings("# reprolint: noqa: RPL101\n" + UNSEEDED) == [("RPL107", 6, 33)]
    assert findings("# reprolint: noqa: unseeded-generator\n" + UNSEEDED) == []


def test_file_level_noqa_must_be_on_its_own_line_in_the_first_ten_lines():
    late = "x = 0\n" * 10 + "# reprolint: noqa\n" + UNSEEDED
    assert [c for c, _, _ in findings(late)] == ["RPL107"]
    trailing = "x = 1  # reprolint: noqa\n" + UNSEEDED
    assert [c for c, _, _ in findings(trailing)] == ["RPL107"]


def test_line_noqa_by_code_and_by_name():
    line = UNSEEDED.replace("images[0]", "images[0]  # noqa: unseeded-generator")
    assert findings(line) == []
    other = UNSEEDED.replace("images[0]", "images[0]  # noqa: RPL101")
    assert findings(other) == [("RPL107", 5, 33)]


def test_unused_noqa_is_off_by_default():
    assert findings("x = 1  # noqa: RPL101\n", select="RPL101") == []


def test_unused_noqa_reports_unused_disabled_and_unknown_codes():
    code = UNSEEDED.replace("images[0]", "images[0]  # noqa: RPL107, RPL101, RPL104, RPL777, E501")
    found = lint(code, select="RPL101,RPL107,RPL900")
    assert [(f.code, f.start.line, f.start.column) for f in found] == [("RPL900", 5, 55)]
    message = found[0].message
    assert "unused: `RPL101`" in message
    assert "non-enabled: `RPL104`" in message
    assert "unknown: `RPL777`" in message
    assert "RPL107" not in message and "E501" not in message


def test_used_noqa_and_bare_noqa_are_not_reported():
    used = UNSEEDED.replace("images[0]", "images[0]  # noqa: RPL107")
    assert lint(used, select="RPL107,RPL900") == []
    assert lint("x = 1  # noqa\n", select="RPL900") == []


def test_unused_file_level_noqa():
    found = lint("# reprolint: noqa: RPL107\nx = 1\n", select="RPL107,RPL900")
    assert [(f.code, f.start.line) for f in found] == [("RPL900", 1)]
    assert "file-level" in found[0].message
    bare = lint("# reprolint: noqa\nx = 1\n", select="RPL107,RPL900")
    assert "suppresses nothing" in bare[0].message
    used = lint("# reprolint: noqa\n" + UNSEEDED, select="RPL107,RPL900")
    assert used == []


def test_unused_noqa_can_itself_be_suppressed():
    assert lint("x = 1  # noqa: RPL107, RPL900\n", select="RPL107,RPL900") == []


def test_per_file_ignored_rule_makes_its_noqa_unused():
    code = UNSEEDED.replace("images[0]", "images[0]  # noqa: RPL107")
    found = lint(code, select="RPL107,RPL900", path="tests/test_x.py",
                 per_file_ignores=(("tests/*", ("RPL107",)),))
    assert [(f.code, f.start.line) for f in found] == [("RPL900", 5)]
    assert "non-enabled: `RPL107`" in found[0].message


def test_noqa_inside_a_string_is_not_a_directive():
    in_string = UNSEEDED.replace('pipe("a cat"', 'pipe("a cat  # noqa"')
    assert findings(in_string) == [("RPL107", 5, 41)]
    docstring = '"""\n# reprolint: noqa\n"""\n' + UNSEEDED
    assert [c for c, _, _ in findings(docstring)] == ["RPL107"]
    after_another_comment = UNSEEDED.replace("images[0]", "images[0]  # type: ignore  # noqa: RPL107")
    assert findings(after_another_comment) == []
