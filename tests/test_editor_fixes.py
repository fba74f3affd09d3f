"""The fixes the editor offers for `pipe(prompt, seed=1234)` (issue 25): the safe, preferred RPL103
fix first, titled with the real seed; RPL101's fix keeps the author's seed instead of adding a
second one (seeded with 0) beside the ignored `seed=1234`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reprolint.engine import Linter
from reprolint.fix.apply import fix_source
from reprolint.settings import Settings

SEEDED = '''import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("a photo of a cat", seed=1234).images[0]
other = pipe("a photo of a dog").images[0]
'''


def findings(source: str, **settings) -> list:
    return Linter(Settings(**settings)).lint_source(source, "s.py").findings


def test_rpl101_fix_on_a_call_with_seed_uses_that_seed():
    fixed = fix_source(SEEDED, "s.py", Settings(select=("RPL101",)), unsafe=True).source
    assert 'image = pipe("a photo of a cat", generator=torch.Generator("cpu").manual_seed(1234)).images[0]' in fixed
    assert "seed=1234" not in fixed
    # The call without seed= still gets the --fix-seed generator.
    assert 'other = pipe("a photo of a dog", generator=torch.Generator("cpu").manual_seed(0)).images[0]' in fixed


def test_rpl101_and_rpl103_together_fix_the_call_once():
    fixed = fix_source(SEEDED, "s.py", Settings(), unsafe=True).source
    assert fixed.count("manual_seed(1234)") == 1 and "seed=1234" not in fixed
    assert "generator=torch.Generator" in fixed.splitlines()[4] and fixed.splitlines()[4].count("generator=") == 1


def test_fix_titles_name_the_seed_they_write():
    by_code = {f.code: f for f in findings(SEEDED) if f.start.line == 5}
    assert by_code["RPL103"].fix.message == 'Use `torch.Generator("cpu").manual_seed(1234)`'
    assert by_code["RPL101"].fix.message == (
        'Replace `seed=1234` by `generator=torch.Generator("cpu").manual_seed(1234)`')
    assert all("<seed>" not in f.fix.message for f in findings(SEEDED) if f.fix is not None)
    constructor = findings("import torch\ng = torch.Generator(42)\n")
    assert constructor[0].fix.message == 'Use `torch.Generator("cpu").manual_seed(42)`'


def test_the_editor_offers_the_safe_fix_first_and_not_the_same_edit_twice():
    pytest.importorskip("pygls")
    from reprolint.server.protocol import _offered_fixes

    found = findings(SEEDED)
    python = SimpleNamespace(kind="python")
    on_seeded_call = [(f, None) for f in found if f.start.line == 5]
    assert [f.code for f, _ in on_seeded_call] == ["RPL101", "RPL103"]  # as the linter reports them
    assert [f.code for f in _offered_fixes(on_seeded_call, python)] == ["RPL103"]
    # Fixes of different edits are all offered, safe ones first.
    everywhere = [(f, None) for f in found if f.fix is not None]
    offered = _offered_fixes(everywhere, python)
    assert [f.code for f in offered] == ["RPL103", "RPL101"]
    assert offered[1].start.line == 6
    assert _offered_fixes(everywhere, SimpleNamespace(kind="markdown")) == []


def test_session_prepare_does_the_first_lints_fixed_work(tmp_path):
    """`initialize` runs Session.prepare (issue 25: the first diagnostics took about a second
    after didOpen, spent indexing the workspace and loading the rules)."""
    from reprolint.server.session import OpenDocument, Session

    (tmp_path / "helpers.py").write_text(
        "from diffusers import StableDiffusionPipeline\n\n\ndef load_pipeline():\n"
        '    return StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")\n')
    session = Session(str(tmp_path))
    session.prepare()
    assert session.project.built
    (linter,) = session._linters.values()
    assert linter._rules is not None  # the rule classes (and libcst) are loaded
    assert any(path.endswith("helpers.py") for path in session.project._summaries)
    # The first lint then reuses the index and the linter instead of building them.
    path = tmp_path / "gen.py"
    path.write_text(SEEDED)
    result = session.lint(OpenDocument(path.as_uri(), str(path), "python", SEEDED))
    assert {f.code for f in result.findings} == {"RPL101", "RPL103"}
    assert list(session._linters.values()) == [linter]
