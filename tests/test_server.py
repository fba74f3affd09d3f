"""``reprolint server`` end to end: pytest-lsp starts it as a subprocess and drives it over stdio
as an editor would (open, change, save, code actions, applying edits, hover, notebook cells,
configuration, shutdown). The expected findings and fixes come from the CLI's own engine and
fixer run in this process, so the server is held to the same results as ``reprolint --fix``."""

from __future__ import annotations

import asyncio
import copy
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from reprolint.engine import Linter  # noqa: E402
from reprolint.fix.apply import fix_source  # noqa: E402
from reprolint.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BROKEN_RULE_SERVER = Path(__file__).resolve().parent / "server_with_broken_rule.py"
TIMEOUT = 60  # seconds for one expected message; a loaded CI machine is slow, never this slow

BAD_SCRIPT = (ROOT / "examples" / "sd_text2img_bad.py").read_text(encoding="utf-8")
GOOD_CALL = 'image = pipe(prompt, num_inference_steps=30, generator=torch.Generator("cpu").manual_seed(0)).images[0]'
SEEDED_SCRIPT = '''import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("a photo of a cat", seed=1234).images[0]
'''

# Each test starts a real server process (a "slow" test by this suite's definition).
pytestmark = [pytest.mark.asyncio(loop_scope="function"), pytest.mark.slow]


async def _session(lsp_client: LanguageClient):
    registrations = lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams):  # as an editor accepts it
        registrations.extend(params.registrations)

    yield
    if lsp_client.capabilities is not None and lsp_client._server and lsp_client._server.returncode is None:
        await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "reprolint", "server"]))
async def client(lsp_client: LanguageClient):
    async for _ in _session(lsp_client):
        yield


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, str(BROKEN_RULE_SERVER)]))
async def broken_client(lsp_client: LanguageClient):
    async for _ in _session(lsp_client):
        yield


# -- helpers ---------------------------------------------------------------------------------------
async def start(client: LanguageClient, root: Path, options=None, capabilities="visual-studio-code"):
    caps = client_capabilities(capabilities) if isinstance(capabilities, str) else capabilities
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
        initialization_options=options or {}))


def open_file(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    return uri


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str, timeout: float = TIMEOUT) -> list:
    """The next diagnostics published for ``uri`` (callers pop the old ones first)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while uri not in client.diagnostics:
        if loop.time() > deadline:
            raise AssertionError(f"no diagnostics for {uri} within {timeout} s")
        await asyncio.sleep(0.02)
    return list(client.diagnostics[uri])


def apply_edits(text: str, edits) -> str:
    """Apply LSP text edits (UTF-16 positions) as a client does: from the last to the first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        line = lines[position.line]
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return offsets[position.line] + index
            units += 2 if ord(char) > 0xFFFF else 1
        return offsets[position.line] + len(line.rstrip("\r\n"))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
    return text


async def code_actions(client: LanguageClient, uri: str, where: types.Range, only=None) -> list:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=where,
        context=types.CodeActionContext(diagnostics=[], only=only)))


async def resolved(client: LanguageClient, action: types.CodeAction) -> types.CodeAction:
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    return action


def cli_findings(path: Path) -> list:
    return Linter(Settings(project_root=str(path.parent))).lint_file(str(path)).findings


def by_code(items, code: str) -> list:
    return [item for item in items if item.code == code]


# -- diagnostics -------------------------------------------------------------------------------
async def test_open_publishes_the_cli_findings_with_links(client, tmp_path):
    await start(client, tmp_path)
    path = tmp_path / "text2img.py"
    uri = open_file(client, path, BAD_SCRIPT)
    published = await diagnostics(client, uri)
    expected = cli_findings(path)
    assert expected, "the example must have findings for this test to mean anything"
    assert [(d.code, d.message, d.range.start.line + 1, d.range.start.character + 1) for d in published] == \
        [(f.code, f.message, f.start.line, f.start.column) for f in expected]
    assert all(d.severity == types.DiagnosticSeverity.Warning and d.source == "reprolint" for d in published)
    assert all(d.code_description.href.endswith(f"docs/rules/{d.code}.md") for d in published)


async def test_change_is_debounced_and_save_lints_at_once(client, tmp_path):
    await start(client, tmp_path, {"debounce": 600_000})  # ten minutes: only a save can lint now
    uri = open_file(client, tmp_path / "t.py", BAD_SCRIPT)
    assert by_code(await diagnostics(client, uri), "RPL101")
    fixed = BAD_SCRIPT.replace("image = pipe(prompt, num_inference_steps=30).images[0]", GOOD_CALL)
    change(client, uri, 2, fixed)
    await asyncio.sleep(1.0)
    assert uri not in client.diagnostics, "a change within the debounce period must not lint yet"
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    after = await diagnostics(client, uri)
    assert [d.range.start.line for d in by_code(after, "RPL101")] == [14]  # only the second call is left


async def test_a_document_over_the_live_lint_limit_is_linted_on_save_only(client, tmp_path):
    """A very large document used to be linted in-line on every change, and every hover or code
    action waited behind it: above liveLintMaxBytes it is linted when saved."""
    await start(client, tmp_path, {"liveLintMaxBytes": 200})
    uri = open_file(client, tmp_path / "big.py", BAD_SCRIPT)  # several times the limit
    await asyncio.sleep(1.0)
    assert uri not in client.diagnostics, "a document over the limit must not be linted as it is opened"
    target = types.Position(line=10, character=12)
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=target)), timeout=5)
    assert hover is None  # answered at once: not linted since the last save
    assert any("over liveLintMaxBytes (200): it is linted when saved" in message.message
               for message in client.log_messages)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert by_code(await diagnostics(client, uri), "RPL101")
    change(client, uri, 2, BAD_SCRIPT + "\n")
    await asyncio.sleep(1.0)
    assert uri not in client.diagnostics, "nor as it is changed"


async def test_burst_of_changes_publishes_the_last_text(client, tmp_path):
    await start(client, tmp_path, {"debounce": 200})
    uri = open_file(client, tmp_path / "t.py", BAD_SCRIPT)
    await diagnostics(client, uri)
    text = BAD_SCRIPT
    for version in range(2, 7):
        text += f"# edit {version}\n"
        change(client, uri, version, text)
    final = text.replace('pipe = pipe.to("cuda")', 'pipe = pipe.to("cpu")')
    change(client, uri, 7, final)
    published = await diagnostics(client, uri)
    assert not by_code(published, "RPL301")  # no GPU work in the last text
    assert by_code(published, "RPL101")
    await asyncio.sleep(0.6)
    assert list(client.diagnostics[uri]) == published, "no stale result may arrive after the last one"


async def test_unparsable_file_gets_one_error_diagnostic(client, tmp_path):
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "broken.py", "import torch\n\ndef f(:\n    pass\n")
    published = await diagnostics(client, uri)
    assert len(published) == 1
    assert published[0].severity == types.DiagnosticSeverity.Error
    assert "could not parse" in published[0].message and published[0].range.start.line == 2


async def test_internal_error_in_one_rule_is_logged_and_others_still_report(broken_client, tmp_path):
    await start(broken_client, tmp_path)
    uri = open_file(broken_client, tmp_path / "s.py", SEEDED_SCRIPT)
    published = await diagnostics(broken_client, uri)
    assert by_code(published, "RPL101"), "the healthy rules still report"
    assert not by_code(published, "RPL103")
    assert all(d.severity != types.DiagnosticSeverity.Error for d in published)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not any("internal error in RPL103" in m.message for m in broken_client.log_messages):
        assert loop.time() < deadline, "the internal error was not logged to the client"
        await asyncio.sleep(0.05)
    logged = next(m for m in broken_client.log_messages if "internal error in RPL103" in m.message)
    assert logged.type == types.MessageType.Error and "Traceback" in logged.message


# -- code actions, edits, hover --------------------------------------------------------------------
async def test_quick_fixes_are_labelled_and_match_the_cli_fix(client, tmp_path):
    await start(client, tmp_path)
    path = tmp_path / "s.py"
    uri = open_file(client, path, SEEDED_SCRIPT)
    published = await diagnostics(client, uri)
    seed = by_code(published, "RPL103")[0]
    actions = await code_actions(client, uri, seed.range)
    titles = [a.title for a in actions]
    # The safe, preferred fix comes first, and names the seed it writes (issue 25). RPL101's fix
    # on this call is the same edit (it keeps the author's seed), so it is not listed twice.
    assert titles[0] == 'Fix RPL103 (safe): Use `torch.Generator("cpu").manual_seed(1234)`', titles
    assert not any(t.startswith("Fix RPL101") for t in titles), titles
    assert "Add `# noqa: RPL103` (suppress on this line)" in titles
    assert "Fix all safe reprolint findings in this file" in titles
    safe = await resolved(client, next(a for a in actions if a.title.startswith("Fix RPL103")))
    assert safe.is_preferred and safe.kind == types.CodeActionKind.QuickFix
    fixed = apply_edits(SEEDED_SCRIPT, safe.edit.changes[uri])
    # Only the RPL103 fix, exactly as --fix writes it (the RPL101 fix is not applied with it).
    assert fixed == fix_source(SEEDED_SCRIPT, str(path), Settings(select=("RPL103",)), unsafe=False).source
    assert 'generator=torch.Generator("cpu").manual_seed(1234)' in fixed
    change(client, uri, 2, fixed)
    assert not by_code(await diagnostics(client, uri), "RPL103")


async def test_fix_all_safe_and_noqa_edits(client, tmp_path):
    await start(client, tmp_path)
    path = tmp_path / "t.py"
    uri = open_file(client, path, BAD_SCRIPT)
    published = await diagnostics(client, uri)
    target = by_code(published, "RPL101")[0]
    actions = await code_actions(client, uri, target.range)
    fix_all = await resolved(client, next(a for a in actions if a.title.startswith("Fix all safe")))
    assert apply_edits(BAD_SCRIPT, fix_all.edit.changes[uri]) == fix_source(BAD_SCRIPT, str(path), unsafe=False).source
    noqa = next(a for a in actions if a.title == "Add `# noqa: RPL101` (suppress on this line)")
    suppressed = apply_edits(BAD_SCRIPT, noqa.edit.changes[uri])
    assert suppressed.splitlines()[10].endswith("images[0]  # noqa: RPL101")
    change(client, uri, 2, suppressed)
    after = await diagnostics(client, uri)
    assert [d.range.start.line for d in by_code(after, "RPL101")] == [14]
    only = await code_actions(client, uri, target.range, only=[types.CodeActionKind.SourceFixAll])
    assert [a.kind for a in only] == ["source.fixAll.reprolint"]


async def test_eager_edits_for_clients_without_resolve(client, tmp_path):
    caps = copy.deepcopy(client_capabilities("neovim"))
    caps.text_document.code_action.resolve_support = None
    await start(client, tmp_path, capabilities=caps)
    uri = open_file(client, tmp_path / "s.py", SEEDED_SCRIPT)
    seed = by_code(await diagnostics(client, uri), "RPL103")[0]
    actions = await code_actions(client, uri, seed.range)
    assert actions and all(a.edit is not None for a in actions)


async def test_apply_fix_all_command_sends_a_workspace_edit(client, tmp_path):
    await start(client, tmp_path)
    path = tmp_path / "s.py"
    uri = open_file(client, path, SEEDED_SCRIPT)
    await diagnostics(client, uri)
    received = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        received.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="reprolint.applyFixAll", arguments=[uri]))
    assert len(received) == 1
    fixed = apply_edits(SEEDED_SCRIPT, received[0].edit.changes[uri])
    assert fixed == fix_source(SEEDED_SCRIPT, str(path), unsafe=False).source != SEEDED_SCRIPT


async def test_hover_on_a_finding_shows_the_rule_page(client, tmp_path):
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "t.py", BAD_SCRIPT)
    target = by_code(await diagnostics(client, uri), "RPL101")[0]
    inside = types.Position(line=target.range.start.line, character=target.range.start.character + 2)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=inside))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("# RPL101: pipeline-call-without-generator")
    assert "Fix: unsafe" in hover.contents.value
    nothing = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=0)))
    assert nothing is None


# -- notebooks and Markdown ------------------------------------------------------------------------
def notebook_cells(tmp_path: Path):
    notebook_uri = (tmp_path / "nb.ipynb").as_uri()
    texts = ["%pip install diffusers\nimport torch\nfrom diffusers import DiffusionPipeline\n"
             "pipe = DiffusionPipeline.from_pretrained('x')\n",
             "# Now draw an image",
             "prompt = 'a cat'\nimage = pipe(prompt, seed=7).images[0]\n"]
    kinds = [types.NotebookCellKind.Code, types.NotebookCellKind.Markup, types.NotebookCellKind.Code]
    uris = [f"vscode-notebook-cell:{tmp_path / 'nb.ipynb'}#cell{i}" for i in range(3)]
    return notebook_uri, uris, texts, kinds


async def test_notebook_cells_get_cell_relative_diagnostics_and_fixes(client, tmp_path):
    await start(client, tmp_path)
    notebook_uri, uris, texts, kinds = notebook_cells(tmp_path)
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=notebook_uri, notebook_type="jupyter-notebook", version=1,
            cells=[types.NotebookCell(kind=k, document=u) for k, u in zip(kinds, uris)]),
        cell_text_documents=[types.TextDocumentItem(uri=u, language_id="python" if k == types.NotebookCellKind.Code
                                                    else "markdown", version=1, text=t)
                             for u, t, k in zip(uris, texts, kinds)]))
    third = await diagnostics(client, uris[2])
    assert await diagnostics(client, uris[0]) == []
    assert sorted(d.code for d in third) == ["RPL101", "RPL103"]
    assert {d.range.start.line for d in third} == {1}  # line 2 of its own cell, not of the notebook
    seed = by_code(third, "RPL103")[0]
    assert (seed.range.start.character, seed.range.end.character) == (21, 27)
    action = await resolved(client, next(a for a in await code_actions(client, uris[2], seed.range)
                                         if a.title.startswith("Fix RPL103")))
    assert list(action.edit.changes) == [uris[2]]
    fixed = apply_edits(texts[2], action.edit.changes[uris[2]])
    assert fixed == "prompt = 'a cat'\nimage = pipe(prompt, generator=torch.Generator(\"cpu\").manual_seed(7)).images[0]\n"

    client.diagnostics.pop(uris[2], None)
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook_uri, version=2),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
            types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=uris[2], version=2),
                changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)])]))))
    assert await diagnostics(client, uris[2]) == []


async def test_markdown_is_linted_only_when_enabled(client, tmp_path):
    page = "# Guide\n\nSome text.\n\n```python\n" + SEEDED_SCRIPT + "```\n"
    (tmp_path / "pyproject.toml").write_text('[tool.reprolint]\nextend-include = ["*.md"]\n', encoding="utf-8")
    (tmp_path / "other").mkdir()
    await start(client, tmp_path)
    enabled = open_file(client, tmp_path / "guide.md", page, language="markdown")
    published = await diagnostics(client, enabled)
    assert {d.code for d in published} == {"RPL101", "RPL103"}
    assert {d.range.start.line for d in published} == {9}  # the page's own line
    (tmp_path / "other" / "pyproject.toml").write_text("[tool.reprolint]\n", encoding="utf-8")
    disabled = open_file(client, tmp_path / "other" / "guide.md", page, language="markdown")
    assert await diagnostics(client, disabled) == []


# -- the project index -----------------------------------------------------------------------------
async def test_project_index_is_kept_and_updated_when_a_module_is_saved(client, tmp_path):
    root = tmp_path / "custom_pipeline"
    shutil.copytree(ROOT / "tests" / "projects" / "custom_pipeline", root)
    await start(client, root)
    script = root / "generate.py"
    uri = open_file(client, script, script.read_text(encoding="utf-8"))
    # generate.py imports no diffusers: these findings come from the project index alone.
    assert [d.range.start.line + 1 for d in by_code(await diagnostics(client, uri), "RPL101")] == [8, 11]
    module = root / "src" / "studio" / "pipeline_studio.py"
    text = module.read_text(encoding="utf-8")
    module_uri = open_file(client, module, text)
    await diagnostics(client, module_uri)
    client.diagnostics.pop(uri, None)
    change(client, module_uri, 2, text.replace("class StudioPipeline(StableDiffusionPipeline):", "class StudioPipeline:"))
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=module_uri)))
    assert not by_code(await diagnostics(client, uri), "RPL101")


# -- configuration -----------------------------------------------------------------------------
async def test_bad_configuration_is_an_error_diagnostic_and_reloads(client, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.reprolint]\nignore = ["RPL301"]\nfix_seeed = 3\n', encoding="utf-8")
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "t.py", BAD_SCRIPT)
    published = await diagnostics(client, uri)
    errors = [d for d in published if d.severity == types.DiagnosticSeverity.Error]
    assert len(errors) == 1 and "unknown key `fix_seeed`" in errors[0].message
    assert by_code(published, "RPL301"), "the defaults apply while the file is invalid"
    on_config = await diagnostics(client, config.as_uri())
    assert on_config[0].range.start.line == 2 and "did you mean `fix-seed`" in on_config[0].message

    config.write_text('[tool.reprolint]\nignore = ["RPL301"]\nfix-seed = 3\n', encoding="utf-8")
    client.diagnostics.pop(uri, None)
    client.diagnostics.pop(config.as_uri(), None)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
    reloaded = await diagnostics(client, uri)
    assert not [d for d in reloaded if d.severity == types.DiagnosticSeverity.Error]
    assert not by_code(reloaded, "RPL301") and by_code(reloaded, "RPL101")
    assert await diagnostics(client, config.as_uri()) == []


# -- lifecycle ---------------------------------------------------------------------------------
async def test_shutdown_and_exit(client, tmp_path):
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "t.py", BAD_SCRIPT)
    await diagnostics(client, uri)
    await client.shutdown_session()
    assert client._server.returncode == 0
