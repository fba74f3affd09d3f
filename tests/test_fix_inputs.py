"""Fixing other inputs: notebooks (inside cells, the JSON otherwise untouched) and standard input."""

from __future__ import annotations

import copy
import json
import subprocess

from reprolint.settings import Settings
from tests.conftest import reprolint_command, run_cli

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Cats\n", "Generates a cat."]},
        {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["setup"]},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["Successfully installed\n"]}],
         "source": ["%pip install diffusers\n", "import torch\n", "from diffusers import StableDiffusionPipeline"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {},
         "outputs": [{"data": {"image/png": "iVBORw0KGgo=", "text/plain": ["<PIL.Image>"]},
                      "execution_count": 2, "metadata": {}, "output_type": "execute_result"}],
         "source": ["pipe = StableDiffusionPipeline.from_pretrained(\"some/model\")\n",
                    "!nvidia-smi\n",
                    "# the cat, at last\n",
                    "image = pipe(\"a cat\").images[0]\n",
                    "image"]},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": "g = torch.manual_seed(0)\nother = pipe(\"a dog\", generator=torch.manual_seed(1)).images[0]"},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                 "language_info": {"name": "python", "version": "3.11.7"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _write(path, notebook):
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def test_notebook_fix_edits_only_code_cell_sources(tmp_path):
    path = tmp_path / "cats.ipynb"
    _write(path, NOTEBOOK)
    result = run_cli("cats.ipynb", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 2, 0 remaining" in result.stdout
    fixed = json.loads(path.read_text())
    # Everything but the two fixed cells' sources is as it was: outputs, metadata, other cells.
    expected = copy.deepcopy(NOTEBOOK)
    expected["cells"][2]["source"] = fixed["cells"][2]["source"]
    expected["cells"][3]["source"] = fixed["cells"][3]["source"]
    assert fixed == expected
    assert fixed["cells"][2]["source"] == [
        "pipe = StableDiffusionPipeline.from_pretrained(\"some/model\")\n",
        "!nvidia-smi\n",  # the magic comes back, not the `pass` the linter saw
        "# the cat, at last\n",
        "image = pipe(\"a cat\", generator=torch.Generator(\"cpu\").manual_seed(0)).images[0]\n",
        "image"]
    assert fixed["cells"][3]["source"] == (
        "g = torch.manual_seed(0)\nother = pipe(\"a dog\", generator=torch.Generator(\"cpu\").manual_seed(1)).images[0]")
    assert fixed["cells"][1]["source"] == NOTEBOOK["cells"][1]["source"]
    # The file keeps its layout (indent 1, final newline): only the edited lines differ.
    assert path.read_text() == json.dumps(fixed, indent=1, ensure_ascii=False) + "\n"
    again = run_cli("cats.ipynb", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert again.returncode == 0 and "Fixed 0, 0 remaining" in again.stdout


def test_notebook_import_added_in_the_cell_with_the_imports(tmp_path):
    notebook = copy.deepcopy(NOTEBOOK)
    notebook["cells"][1]["source"] = ["from diffusers import StableDiffusionPipeline\n"]
    del notebook["cells"][3]
    path = tmp_path / "cats.ipynb"
    _write(path, notebook)
    assert run_cli("cats.ipynb", "--fix", "--unsafe-fixes", cwd=tmp_path).returncode == 0
    cells = json.loads(path.read_text())["cells"]
    assert cells[1]["source"] == ["from diffusers import StableDiffusionPipeline\n", "import torch\n"]
    assert cells[2]["source"][3].startswith("image = pipe(\"a cat\", generator=torch.Generator(\"cpu\")")


def test_diff_of_a_notebook_applies_with_patch(tmp_path):
    path = tmp_path / "cats.ipynb"
    _write(path, NOTEBOOK)
    diff = subprocess.run([*reprolint_command(), "cats.ipynb", "--diff", "--unsafe-fixes"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert diff.returncode == 1 and diff.stdout.startswith(b"--- cats.ipynb")
    subprocess.run(["patch", "-p0", "--quiet"], input=diff.stdout, cwd=tmp_path, check=True)
    assert run_cli("cats.ipynb", "--unsafe-fixes", cwd=tmp_path).returncode == 0



def _code_cell(source, outputs=()):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": list(outputs),
            "source": source.splitlines(keepends=True)}


DREAMBOOTH = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# DreamBooth LoRA, then generate"]},
        _code_cell("!pip install -q diffusers==0.30.0 \\\n    transformers accelerate \\\n    safetensors\n",
                   [{"name": "stdout", "output_type": "stream", "text": ["Successfully installed diffusers\n"]}]),
        _code_cell("## Train\nWe fine-tune the model on five photos of the dog — about ten minutes.\n"),
        _code_cell("%env MODEL_NAME=stabilityai/stable-diffusion-xl-base-1.0\n"
                   "!accelerate launch train_dreambooth_lora_sdxl.py \\\n"
                   "  --pretrained_model_name_or_path=$MODEL_NAME \\\n"
                   "  --max_train_steps=500\n"),
        _code_cell("import torch\nfrom diffusers import DiffusionPipeline\n\n"
                   "pipe = DiffusionPipeline.from_pretrained(\"stabilityai/stable-diffusion-xl-base-1.0\")\n"
                   "pipe.load_lora_weights(\"lora-dog\")\n"),
        _code_cell("image = pipe(\"a photo of sks dog in a bucket\", num_inference_steps=25).images[0]\nimage"),
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_notebook_fix_skips_a_cell_that_does_not_parse_and_fixes_the_others(tmp_path):
    path = tmp_path / "dreambooth.ipynb"
    _write(path, DREAMBOOTH)
    before = path.read_text()
    result = run_cli("dreambooth.ipynb", "--fix", "--unsafe-fixes", "--output-format", "concise", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr  # the broken cell is still an error
    assert "Fixed 1, 0 remaining" in result.stdout
    # Reported once, at its place in the cell (code cell 2, line 2, the dash).
    assert result.stdout.count("could not parse") == 1
    assert "dreambooth.ipynb:cell 2:2:50: error: could not parse: invalid character '—'" in result.stdout
    fixed = json.loads(path.read_text())
    expected = copy.deepcopy(DREAMBOOTH)
    expected["cells"][5]["source"] = [
        "image = pipe(\"a photo of sks dog in a bucket\", num_inference_steps=25, "
        "generator=torch.Generator(\"cpu\").manual_seed(0)).images[0]\n", "image"]
    assert fixed == expected  # the skipped cell, the magics and their continuation lines as they were
    assert path.read_text() == json.dumps(expected, indent=1, ensure_ascii=False) + "\n"  # the layout too
    assert before.split("## Train")[0] == path.read_text().split("## Train")[0]
    again = run_cli("dreambooth.ipynb", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert again.returncode == 2 and "Fixed 0, 0 remaining" in again.stdout


def test_notebook_fix_with_continued_magics_and_no_broken_cell_is_clean(tmp_path):
    notebook = copy.deepcopy(DREAMBOOTH)
    del notebook["cells"][2]
    path = tmp_path / "dreambooth.ipynb"
    _write(path, notebook)
    result = run_cli("dreambooth.ipynb", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 1, 0 remaining" in result.stdout
    cells = json.loads(path.read_text())["cells"]
    assert cells[1]["source"] == notebook["cells"][1]["source"] and cells[2]["source"] == notebook["cells"][2]["source"]
    assert "generator=torch.Generator(\"cpu\").manual_seed(0)" in cells[4]["source"][0]


def test_notebook_fix_inserts_setup_after_the_install_cell_not_before_it(tmp_path):
    # PhotoMaker's Colab demo: the first cell installs diffusers, so an import of diffusers above
    # `!pip install diffusers` would fail in a fresh runtime.
    notebook = {"cells": [
        _code_cell("!pip install diffusers \\\n  accelerate\n!git clone https://github.com/TencentARC/PhotoMaker.git\n"),
        _code_cell("cd PhotoMaker/\n"),
        _code_cell("import torch\nfrom diffusers import DiffusionPipeline\n\n"
                   "pipe = DiffusionPipeline.from_pretrained(\"SG161222/RealVisXL_V3.0\").to(\"cuda\")\n"
                   "image = pipe(\"a photo of a man img\", generator=torch.Generator(\"cpu\").manual_seed(42)).images[0]\n"),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "photomaker_demo.ipynb"
    _write(path, notebook)
    result = run_cli("photomaker_demo.ipynb", "--fix", "--unsafe-fixes", "--select", "RPL308", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    cells = json.loads(path.read_text())["cells"]
    assert [cell["source"] for cell in cells[:2]] == [cell["source"] for cell in notebook["cells"][:2]]
    assert cells[2]["source"][:6] == [
        "import torch\n", "from diffusers import DiffusionPipeline\n", "\n",
        "torch.use_deterministic_algorithms(True)\n", "torch.backends.cudnn.deterministic = True\n",
        "torch.backends.cudnn.benchmark = False\n"]


def test_notebook_fix_with_no_imports_before_other_code_inserts_after_the_install_cell(tmp_path):
    # Tune-A-Video's Colab: installs, then a settings cell, and the imports only later.
    notebook = {"cells": [
        _code_cell("!nvidia-smi\n"),
        _code_cell("%pip install -q diffusers[torch]==0.11.1 transformers \\\ndecord accelerate\n"),
        _code_cell("MODEL_NAME = \"CompVis/stable-diffusion-v1-4\" #@param {type:\"string\"}\n"),
        _code_cell("import torch\nfrom diffusers import StableDiffusionPipeline\n\n"
                   "pipe = StableDiffusionPipeline.from_pretrained(MODEL_NAME).to(\"cuda\")\n"
                   "image = pipe(\"a cat\", generator=torch.Generator(\"cpu\").manual_seed(1)).images[0]\n"),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "Tune-A-Video.ipynb"
    _write(path, notebook)
    result = run_cli("Tune-A-Video.ipynb", "--fix", "--unsafe-fixes", "--select", "RPL308", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    cells = json.loads(path.read_text())["cells"]
    assert cells[0]["source"] == notebook["cells"][0]["source"]
    # torch is imported only in a later cell: the inserted setup imports it itself.
    assert cells[1]["source"] == notebook["cells"][1]["source"] + [
        "\n", "import torch\n", "torch.use_deterministic_algorithms(True)\n",
        "torch.backends.cudnn.deterministic = True\n", "torch.backends.cudnn.benchmark = False\n"]
    assert cells[2:] == notebook["cells"][2:]

def test_fix_from_standard_input_writes_the_fixed_source_to_stdout(tmp_path):
    source = ("import torch\nfrom diffusers import DiffusionPipeline\n\n"
              "pipe = DiffusionPipeline.from_pretrained(\"some/model\")\n"
              "other = pipe(\"a dog\").images[0]\n"
              "image = pipe(\"a cat\", generator=torch.manual_seed(3)).images[0]\n")
    result = run_cli("-", "--fix", cwd=tmp_path, input=source)
    assert result.returncode == 1  # the unsafe RPL101 is left
    assert result.stdout == source.replace("torch.manual_seed(3)", "torch.Generator(\"cpu\").manual_seed(3)")
    assert "Fixed 1, 1 remaining (1 fixable with --unsafe-fixes)" in result.stderr
    everything = run_cli("-", "--fix", "--unsafe-fixes", "--stdin-filename", "job.py", cwd=tmp_path, input=source)
    assert everything.returncode == 0
    assert "other = pipe(\"a dog\", generator=torch.Generator(\"cpu\").manual_seed(0)).images[0]" in everything.stdout
    untouched = run_cli("-", "--fix", cwd=tmp_path, input="print('nothing to fix')\n")
    assert untouched.returncode == 0 and untouched.stdout == "print('nothing to fix')\n"


def test_fixing_an_excluded_standard_input_gives_it_back_unchanged(tmp_path):
    # --fix on standard input goes through the same exclusion as linting; an editor that pipes an
    # excluded file through `reprolint - --fix` must get its text back, not an empty buffer.
    (tmp_path / "pyproject.toml").write_text('[tool.reprolint]\nextend-exclude = ["generated/"]\n')
    source = ("from diffusers import DiffusionPipeline\n\n"
              "pipe = DiffusionPipeline.from_pretrained(\"some/model\")\n"
              "image = pipe(\"a cat\").images[0]\n")
    excluded = run_cli("-", "--fix", "--unsafe-fixes", "--force-exclude", "--stdin-filename", "generated/job.py",
                       cwd=tmp_path, input=source)
    assert excluded.returncode == 0, excluded.stderr
    assert excluded.stdout == source
    linted = run_cli("-", "--force-exclude", "--stdin-filename", "generated/job.py", cwd=tmp_path, input=source)
    assert linted.returncode == 0 and linted.stdout == ""
    fixed = run_cli("-", "--fix", "--unsafe-fixes", "--force-exclude", "--stdin-filename", "job.py",
                    cwd=tmp_path, input=source)
    assert fixed.returncode == 0 and "generator=torch.Generator(\"cpu\").manual_seed(0)" in fixed.stdout


def test_fix_and_lint_report_a_missing_path_alike(tmp_path):
    linted = run_cli("missing.py", cwd=tmp_path)
    fixed = run_cli("missing.py", "--fix", cwd=tmp_path)
    assert linted.returncode == fixed.returncode == 2
    error = "missing.py:1:1: error: no such file or directory"
    assert error in linted.stdout and error in fixed.stdout


# Found by the property test (a random mutation of tests/corpus): libcst drops a line that holds
# only a backslash continuation, so printing its tree lost that line, and every position after it
# was one line early.
CONTINUATION_LINE = ('"""Render one seeded image."""\n\\\nimport torch\n\n\n'
                     'def sample_noise(shape, generator=torch.Generator().manual_seed(0)):\n'
                     '    return torch.randn(shape, generator=generator)\n')


def test_a_file_libcst_cannot_print_back_is_left_unchanged_with_a_reason():
    from reprolint.fix import fix_source
    from reprolint.fix.apply import NOT_ROUND_TRIPPED

    outcome = fix_source(CONTINUATION_LINE, "noise.py", Settings(select=("ALL",)), unsafe=True)
    assert outcome.source == CONTINUATION_LINE
    assert [error.message for error in outcome.errors] == [NOT_ROUND_TRIPPED]
    assert outcome.applied == []


def test_findings_after_a_continuation_line_are_on_their_physical_lines():
    from reprolint.engine import Linter

    (finding,) = Linter(Settings(select=("RPL114",))).lint_source(CONTINUATION_LINE, "noise.py").findings
    assert finding.start.line == 6
    assert CONTINUATION_LINE.splitlines()[5].startswith("def sample_noise")
