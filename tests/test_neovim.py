"""The Neovim 0.7 snippet of docs/editors.md, in a real headless Neovim (Debian 12 ships 0.7.2, the
minimum the docs state): diagnostics arrive, the code actions are listed safe-first, and applying
the safe fix changes the buffer as `reprolint --fix` would. Slow (it starts Neovim and the
server); skipped where `nvim` is not installed (.ci/run installs Debian's)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import reprolint_command

ROOT = Path(__file__).resolve().parent.parent
SEEDED = '''import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe("a photo of a cat", seed=1234).images[0]
'''

# Run after the snippet: wait for diagnostics, list the code actions on the `seed=` argument,
# apply the first (resolving it if the server deferred its edit), write what happened as JSON.
HARNESS = r'''
local out = os.getenv("REPROLINT_NVIM_OUT")
local function finish(result)
  local file = io.open(out, "w")
  file:write(vim.json.encode(result))
  file:close()
  vim.cmd("qa!")
end
vim.api.nvim_create_autocmd("VimEnter", { callback = function()
  vim.defer_fn(function()
    local buf = vim.api.nvim_get_current_buf()
    local ok = vim.wait(90000, function() return #vim.diagnostic.get(buf) > 0 end, 100)
    local result = { version = vim.version(), diagnostics = {}, actions = {}, lines = {} }
    if not ok then result.error = "no diagnostics"; return finish(result) end
    local seed
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(result.diagnostics, { code = d.code, lnum = d.lnum, col = d.col, source = d.source })
      if d.code == "RPL103" then seed = d end
    end
    vim.api.nvim_win_set_cursor(0, { seed.lnum + 1, seed.col })
    local params = vim.lsp.util.make_range_params()
    params.context = { diagnostics = {} }
    local responses = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 30000) or {}
    local client_id, actions = next(responses)
    for _, action in ipairs((actions and actions.result) or {}) do
      table.insert(result.actions, action.title)
    end
    local first = actions and actions.result and actions.result[1]
    if first and not first.edit then
      local client = vim.lsp.get_client_by_id(client_id)
      local resolved = client.request_sync("codeAction/resolve", first, 30000, buf)
      first = resolved and resolved.result or first
    end
    if first and first.edit then
      vim.lsp.util.apply_workspace_edit(first.edit, "utf-16")
    end
    result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    finish(result)
  end, 0)
end })
'''


def nvim_snippet(version: str) -> str:
    """The Lua block under the docs' "### Neovim <version>" heading."""
    text = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    section = text.split(f"### Neovim {version}\n", 1)[1].split("\n### ", 1)[0]
    return re.search(r"```lua\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_neovim_07_snippet_gives_diagnostics_and_a_safe_fix_first(tmp_path):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("Neovim is not installed (apt-get install neovim)")
    pytest.importorskip("pygls")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.reprolint]\n", encoding="utf-8")
    script = project / "gen.py"
    script.write_text(SEEDED, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = " ".join(f'"{part}"' for part in reprolint_command())
    (bin_dir / "reprolint").write_text(f"#!/bin/sh\nexec {command} \"$@\"\n", encoding="utf-8")
    (bin_dir / "reprolint").chmod(0o755)
    init = tmp_path / "init.lua"
    init.write_text(nvim_snippet("0.7") + HARNESS, encoding="utf-8")
    out = tmp_path / "out.json"
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
           "REPROLINT_NVIM_OUT": str(out), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([nvim, "--headless", "--clean", "-u", str(init), str(script)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert out.exists(), f"Neovim wrote nothing: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert (result["version"]["major"], result["version"]["minor"]) >= (0, 7)
    codes = sorted(d["code"] for d in result["diagnostics"])
    assert codes == ["RPL101", "RPL103"]
    assert all(d["source"] == "reprolint" for d in result["diagnostics"])
    assert result["actions"][0] == 'Fix RPL103 (safe): Use `torch.Generator("cpu").manual_seed(1234)`'
    assert "Add `# noqa: RPL103` (suppress on this line)" in result["actions"]
    assert result["lines"][4] == 'image = pipe("a photo of a cat", generator=torch.Generator("cpu").manual_seed(1234)).images[0]'
