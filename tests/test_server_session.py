"""The language server's core without the protocol (``reprolint.server.session``): the lint
cache, configuration reloading, the project-index hook, and the edits of fixes and ``noqa``
actions. Runs without pygls."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reprolint.engine import Linter
from reprolint.fix.apply import fix_source
from reprolint.server.session import Cell, OpenDocument, Session, TextEdit, error_line, line_edits, split_lines
from reprolint.settings import Settings

PROJECTS = Path(__file__).resolve().parent / "projects"

TWO_CALLS = '''import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
first = pipe("a cat").images[0]
second = pipe("a dog").images[0]
'''


def apply(text: str, edits) -> str:
    """Apply whole-line TextEdits (code-point columns) from the last to the first."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.first, reverse=True):
        if edit.end is not None:
            line = lines[edit.end[0]]
            lines[edit.first:edit.end[0] + 1] = [edit.new_text + line[edit.end[1]:]]
        else:
            lines[edit.first:edit.last] = [edit.new_text]
    return "".join(lines)


def python_document(tmp_path: Path, text: str, name: str = "s.py") -> OpenDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return OpenDocument(path.as_uri(), str(path), "python", text)


def test_line_edits_turn_the_text_into_the_fixed_text():
    before = "a = 1\nb = 2\nc = 3"  # no final newline
    after = "a = 1\nimport x\nb = 2\nc = 4"
    edits = line_edits("u", before, after)
    assert apply(before, edits) == after
    assert edits[-1].end == (2, 5), "the last line has no newline to end at"
    assert line_edits("u", before, before) == []


def test_lines_are_split_as_the_protocol_counts_them():
    assert split_lines("a\r\nb\rc\nd\x0ce") == ["a", "b", "c", "d\x0ce"]  # a form feed ends no line


def test_quick_fix_applies_exactly_one_finding(tmp_path):
    session = Session(str(tmp_path))
    document = session.open(python_document(tmp_path, TWO_CALLS))
    calls = [f for f in session.lint(document).findings if f.code == "RPL101"]
    assert [f.start.line for f in calls] == [5, 6]
    action = session.quick_fix(document, calls[1])
    fixed = apply(TWO_CALLS, action.edits)
    assert fixed.splitlines()[4] == 'first = pipe("a cat").images[0]', "the other call is left alone"
    assert 'generator=torch.Generator("cpu").manual_seed(0)' in fixed.splitlines()[5]
    assert action.title.startswith("Fix RPL101 (unsafe)")
    everything = fix_source(TWO_CALLS, document.path, Settings(), unsafe=True).source
    assert fixed != everything and everything.count("generator=") == 2


def test_a_finding_of_older_text_gets_no_fix(tmp_path):
    session = Session(str(tmp_path))
    document = session.open(python_document(tmp_path, TWO_CALLS))
    stale = session.lint(document).findings[0]
    document.text = TWO_CALLS + "\n"
    assert session.quick_fix(document, stale) is None


def test_noqa_action_adds_a_comment_or_extends_the_directive(tmp_path):
    session = Session(str(tmp_path))
    text = TWO_CALLS.replace('first = pipe("a cat").images[0]', 'first = pipe("a cat").images[0]  # noqa: E501')
    document = session.open(python_document(tmp_path, text))
    first, second = [f for f in session.lint(document).findings if f.code == "RPL101"]
    extended = apply(text, session.noqa_action(document, first).edits)
    assert extended.splitlines()[4].endswith("# noqa: E501, RPL101")
    added = apply(text, session.noqa_action(document, second).edits)
    assert added.splitlines()[5] == 'second = pipe("a dog").images[0]  # noqa: RPL101'
    document.text = added
    assert [f.start.line for f in session.lint(document).findings if f.code == "RPL101"] == [5]


def test_noqa_action_is_not_offered_where_a_comment_cannot_go(tmp_path):
    session = Session(str(tmp_path))
    text = TWO_CALLS.replace('second = pipe("a dog").images[0]', 'second = pipe("a dog") \\\n    .images[0]')
    document = session.open(python_document(tmp_path, text))
    continued = [f for f in session.lint(document).findings if f.code == "RPL101"][1]
    assert session.noqa_action(document, continued) is None


def test_lint_results_are_cached_per_text_and_settings(tmp_path):
    session = Session(str(tmp_path))
    document = session.open(python_document(tmp_path, TWO_CALLS))
    first = session.lint(document)
    assert session.lint(document) is first
    (tmp_path / "reprolint.toml").write_text('ignore = ["RPL101"]\n', encoding="utf-8")
    session.config.invalidate()
    relinted = session.lint(document)
    assert relinted is not first and not [f for f in relinted.findings if f.code == "RPL101"]


def test_configuration_reloads_when_the_file_changes(tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.reprolint]\nignore = ["RPL101"]\n', encoding="utf-8")
    session = Session(str(tmp_path))
    target = str(tmp_path / "s.py")
    valid = session.config.state_for(target)
    assert valid.error is None and "RPL101" not in {rule.code for rule in session.linter(valid.settings).rules}
    config.write_text('[tool.reprolint]\nignore = ["RPL101"]\nfix-seed = "x"\n', encoding="utf-8")
    stamp = time.time() + 5
    os.utime(config, (stamp, stamp))  # a new modification time even on a coarse clock
    state = session.config.state_for(target)
    assert state.error and "bad value for `fix-seed`" in state.error and state.path == str(config)
    assert state.settings.fix_seed == 0, "the defaults apply while the file is invalid"
    assert error_line(str(config), state.error) == 3


def test_open_files_are_linted_with_the_workspace_project_index(tmp_path):
    root = tmp_path / "custom_pipeline"
    shutil.copytree(PROJECTS / "custom_pipeline", root)
    expected = sorted((f.start.line, f.code) for f in Linter(Settings()).lint_paths([str(root)]).findings
                      if f.path.endswith("generate.py"))
    assert (8, "RPL101") in expected, "found only through the project index: generate.py imports no diffusers"
    session = Session(str(root))
    script = root / "generate.py"
    document = session.open(OpenDocument(script.as_uri(), str(script), "python", script.read_text(encoding="utf-8")))
    assert sorted((f.start.line, f.code) for f in session.lint(document).findings) == expected


def test_the_project_index_follows_the_editors_text(tmp_path):
    root = tmp_path / "custom_pipeline"
    shutil.copytree(PROJECTS / "custom_pipeline", root)
    session = Session(str(root))
    script = root / "generate.py"
    document = session.open(OpenDocument(script.as_uri(), str(script), "python", script.read_text(encoding="utf-8")))
    before = session.lint(document)
    assert [f.start.line for f in before.findings if f.code == "RPL101"] == [8, 11]
    session.project.take_changes()
    module = root / "src" / "studio" / "pipeline_studio.py"
    edited = module.read_text(encoding="utf-8").replace("class StudioPipeline(StableDiffusionPipeline):",
                                                      "class StudioPipeline:")
    helper = session.open(OpenDocument(module.as_uri(), str(module), "python", edited))
    session.lint(helper)  # unsaved: the index already holds the editor's text
    assert session.project.take_changes()
    assert not [f for f in session.lint(document).findings if f.code == "RPL101"]
    half_typed = edited + "def broken(:\n"
    helper.text = half_typed
    session.lint(helper)
    assert not session.project.take_changes(), "a text that does not parse keeps the last summary"
    session.close(helper.uri)
    session.project.update_from_disk(str(module))  # closed without saving
    assert [f.start.line for f in session.lint(document).findings if f.code == "RPL101"] == [8, 11]


def test_notebook_positions_belong_to_cells(tmp_path):
    session = Session(str(tmp_path))
    cells = [Cell("c1", True, "import torch\nfrom diffusers import DiffusionPipeline\n"
                              "pipe = DiffusionPipeline.from_pretrained('x')\n"),
             Cell("m1", False, "Some *prose*."),
             Cell("c2", True, "!nvidia-smi\nimage = pipe('a cat').images[0]\n")]
    notebook = session.open(OpenDocument("nb", str(tmp_path / "nb.ipynb"), "notebook", cells=cells))
    finding = next(f for f in session.lint(notebook).findings if f.code == "RPL101")
    assert (notebook.target_uri(finding.extra["cell"]), finding.start.line) == ("c2", 2)
    action = session.quick_fix(notebook, finding)
    assert {edit.uri for edit in action.edits} == {"c2"}
    fixed = apply(cells[2].text, action.edits)
    assert fixed.startswith("!nvidia-smi\n"), "the shell line comes back, not the `pass` it was linted as"
    assert isinstance(action.edits[0], TextEdit)


# -- without the extra -------------------------------------------------------------------------
def test_server_without_pygls_says_how_to_install_it(tmp_path):
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['pygls'] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "reprolint", "server"], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2
    assert 'pip install "reprolint-torch[server]"' in done.stderr


def test_server_imports_neither_torch_nor_the_verifier():
    pytest.importorskip("pygls")
    code = ("import sys, reprolint.server.protocol\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith(('diffusers', 'reprolint.verify'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.replace("'", '"')) == []


# -- cancelling a lint whose text changed -------------------------------------------------------------
def test_a_lint_stops_at_its_next_step_once_cancelled_and_caches_nothing(tmp_path):
    """The server lints in a worker thread; a change used to leave an 840 KB lint running for
    half a minute ahead of every hover. Now the lint asks between rules and findings."""
    from reprolint.engine import LintCancelled

    session = Session(str(tmp_path))
    text = "\n".join([TWO_CALLS] * 50)  # a hundred findings
    document = session.open(OpenDocument((tmp_path / "t.py").as_uri(), str(tmp_path / "t.py"), "python", text))
    asked = []

    def changed_after_three_questions() -> bool:
        asked.append(True)
        return len(asked) > 3

    with pytest.raises(LintCancelled):
        session.lint(document, cancelled=changed_after_three_questions)
    assert len(asked) == 4  # it stopped at once, not after every rule and finding
    assert document.result is None  # a cancelled lint is not a result
    full = session.lint(document)  # the linter is left as it was: the next lint is whole
    assert len([f for f in full.findings if f.code == "RPL101"]) == 100
    assert session.lint(document, cancelled=lambda: True) is full  # a cached result needs no lint


def test_cancelled_is_not_reported_as_a_rule_s_internal_error():
    from reprolint.engine import LintCancelled, Linter

    linter = Linter()
    linter.cancelled = lambda: True
    with pytest.raises(LintCancelled):
        linter.lint_source(TWO_CALLS, "t.py")
    linter.cancelled = None
    assert [f.code for f in linter.lint_source(TWO_CALLS, "t.py").findings].count("RPL101") == 2
