"""Notebooks and Markdown: linted as one module, findings at the exact cell/line of the file."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BAD_PIPELINE, invoke
from reprolint.engine import Linter
from reprolint.settings import Settings
from reprolint.sources import SourceError, markdown_document, notebook_document


def notebook(*cells, language="python"):
    def cell(source):
        if isinstance(source, tuple):  # ("markdown", text)
            return {"cell_type": source[0], "metadata": {}, "source": source[1]}
        return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                "source": source.splitlines(keepends=True)}
    return json.dumps({"cells": [cell(c) for c in cells], "nbformat": 4, "nbformat_minor": 5,
                       "metadata": {"kernelspec": {"name": "k", "language": language}}})


def lint_file(path, select="ALL"):
    return Linter(Settings(select=tuple(select.split(",")))).lint_file(str(path))


PIPELINE_CELL = ('from diffusers import StableDiffusionPipeline\n'
                 'pipe = StableDiffusionPipeline.from_pretrained("x")\n')


def test_cells_are_one_module_and_findings_name_cell_and_line(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(
        ("markdown", "# Title"),
        "%pip install diffusers\n!nvidia-smi\n" + PIPELINE_CELL,  # code cell 1
        "prompt = 'a cat'\n",  # code cell 2
        ("markdown", "More"),
        "x = 1\n\n# the call\nimage = pipe(prompt).images[0]\n",  # code cell 3: line 4, col 9
    ))
    report = lint_file(path, "RPL101")
    assert not report.errors
    assert [(f.code, f.extra["cell"], f.start.line, f.start.column) for f in report.findings] == [
        ("RPL101", 3, 4, 9)]
    result = invoke(path, "--select", "RPL101", "--output-format", "concise")
    assert f"{path}:cell 3:4:9: RPL101 " in result.stdout
    entries = json.loads(invoke(path, "--select", "RPL101", "--output-format", "json").stdout)
    assert entries[0]["cell"] == 3 and entries[0]["location"] == {"row": 4, "column": 9}


def test_magics_inside_blocks_and_cell_magics_do_not_break_parsing(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(
        PIPELINE_CELL,
        "%%bash\necho (unbalanced\n",  # not Python: skipped
        "%%time\nfor i in range(2):\n    !ls\n    files = !ls\n    pipe?\n    image = pipe('cat').images[0]\n",
    ))
    report = lint_file(path, "RPL101")
    assert not report.errors, report.errors
    assert [(f.extra["cell"], f.start.line, f.start.column) for f in report.findings] == [(3, 6, 13)]


def test_messages_refer_to_cells(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(
        "import torch\n" + PIPELINE_CELL + "generator = torch.Generator('cpu')\n",
        "image = pipe('cat', generator=generator).images[0]\n",
    ))
    report = lint_file(path, "RPL107")
    (finding,) = report.findings
    assert finding.extra["cell"] == 2
    assert "created at cell 1, line 4" in finding.message


@pytest.mark.parametrize("content,reason", [
    ('{"cells": [', "invalid JSON at line 1"),
    ('{"worksheets": []}', "nbformat 3"),
    ('[1, 2]', "no `cells` list"),
    ('{"cells": [{"source": "x"}]}', "has no `cell_type`"),
    ('{"cells": [{"cell_type": "code", "source": 3}]}', "code cell 1 has a `source`"),
])
def test_malformed_notebook_is_a_clear_per_file_error(tmp_path, content, reason):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(content)
    good = tmp_path / "good.py"
    good.write_text(BAD_PIPELINE)
    result = invoke(tmp_path, "--output-format", "concise")
    assert result.exit_code == 2
    assert f"{bad}:1:1: error: not a valid notebook" in result.stdout and reason in result.stdout
    assert "good.py:4:9: RPL101" in result.stdout  # the other files are still linted


def test_syntax_error_in_a_cell_is_located_in_the_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook("x = 1\n", "import torch\ng = torch.Generator(\n"))
    (error,) = lint_file(path).errors
    assert error.cell == 2 and error.line >= 2
    assert error.location.startswith(f"{path}:cell 2:")


def test_non_python_notebook_is_skipped_with_a_note(tmp_path):
    path = tmp_path / "r.ipynb"
    path.write_text(notebook("library(torch)\n", language="R"))
    report = lint_file(path)
    assert not report.errors and not report.findings
    assert "not a Python notebook (language: r)" in report.notes[0].message


MARKDOWN = """\
# Using the pipeline

Load it:

```python
from diffusers import StableDiffusionPipeline
pipe = StableDiffusionPipeline.from_pretrained("x")
```

A broken snippet:

```py
image = pipe(
```

1. In a list item:

   ```python
   image = pipe("a cat").images[0]
   ```

~~~python
>>> out = pipe("a dog")
Output: <PIL.Image>
~~~

```bash
pipe("not python")
```
"""


def test_markdown_findings_point_at_the_real_line_and_column(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN)
    report = lint_file(path, "RPL101")
    assert not report.errors
    # line 19 col 12: the list item's block is indented by 3; line 23: after the ">>> " prompt.
    assert [(f.start.line, f.start.column) for f in report.findings] == [(19, 12), (23, 11)]
    lines = MARKDOWN.splitlines()
    assert lines[18][11:].startswith('pipe("a cat")') and lines[22][10:].startswith('pipe("a dog")')
    (note,) = report.notes
    assert note.line == 12 and "python block at line 12 skipped: could not parse" in note.message


def test_markdown_full_output_shows_the_page_line(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN)
    result = invoke(path, "--select", "RPL101")
    assert '19 |    image = pipe("a cat").images[0]' in result.stdout
    assert "   |            ^^^^^^^^^^^^^" in result.stdout
    assert "note: python block at line 12 skipped" in result.stderr
    assert result.exit_code == 1  # the skipped block is a note, not an error


def test_markdown_adapter_keeps_line_numbers():
    document = markdown_document(MARKDOWN, "guide.md")
    assert len(document.python.splitlines()) == len(MARKDOWN.splitlines())
    assert document.python.splitlines()[5] == "from diffusers import StableDiffusionPipeline"
    assert document.python.splitlines()[26] == ""  # the bash block is not Python


def test_notebook_adapter_rejects_non_dict_cells():
    with pytest.raises(SourceError):
        notebook_document('{"cells": ["x"]}', "nb.ipynb")


def test_env_magic_becomes_the_environment_assignment_it_performs():
    document = notebook_document(notebook("%env CUBLAS_WORKSPACE_CONFIG=:4096:8\n%set_env A b\n!ls\n"), "nb.ipynb")
    assert document.python.splitlines() == [
        "import os; os.environ['CUBLAS_WORKSPACE_CONFIG'] = ':4096:8'",
        "import os; os.environ['A'] = 'b'",
        "pass",
    ]


# -- IPython lines continued with a backslash; a cell that does not parse --------------------------
INSTALL_CELL = ("!pip install -q diffusers==0.30.0 \\\n"
                "    transformers accelerate \\\n"
                "    safetensors\n")
LOAD_CELL = ("import torch\n"
             "from diffusers import StableDiffusionXLPipeline\n"
             "\n"
             "pipe = StableDiffusionXLPipeline.from_pretrained(\n"
             "    \"stabilityai/stable-diffusion-xl-base-1.0\", torch_dtype=torch.float16\n"
             ").to(\"cuda\")\n")
TRAIN_CELL = ("%env MODEL_NAME=stabilityai/stable-diffusion-xl-base-1.0\n"
              "!accelerate launch train_dreambooth_lora_sdxl.py \\\n"
              "  --pretrained_model_name_or_path=$MODEL_NAME \\\n"
              "  --instance_prompt=\"a photo of sks dog\" \\\n"
              "  --max_train_steps=500\n")
GENERATE_CELL = ("prompt = \"a photo of sks dog in a bucket\"\n"
                 "image = pipe(prompt, num_inference_steps=30).images[0]\n"
                 "image\n")
MARKDOWN_AS_CODE_CELL = ("## Generate\n"
                         "Now we generate an image with the fine-tuned LoRA weights.\n")


def test_shell_lines_continued_with_a_backslash_are_one_line(tmp_path):
    path = tmp_path / "dreambooth.ipynb"
    path.write_text(notebook(INSTALL_CELL, LOAD_CELL, TRAIN_CELL, GENERATE_CELL))
    report = lint_file(path, "RPL101")
    assert not report.errors, report.errors
    assert [(f.extra["cell"], f.start.line, f.start.column) for f in report.findings] == [(4, 2, 9)]


def test_continued_magic_lines_keep_the_line_count_and_python_continuations_stay_python():
    document = notebook_document(notebook(
        INSTALL_CELL,
        "%%time \\\n  -o\nfor step in range(2):\n    !accelerate launch train.py \\\n        --seed=$step\n    x = 1 + \\\n        2\n",
        "x = (1\n     % 2)\nif (x\n    != 3):\n    print(\"\"\"\n!not a shell line\n\"\"\")\n",
    ), "nb.ipynb")
    assert document.python.splitlines() == [
        "pass \\", "\\", "",  # one statement over the three lines
        "pass \\", "", "for step in range(2):", "    pass \\", "", "    x = 1 + \\", "        2",
        # Inside brackets or a string, `%` and `!` start no magic: the lines are Python.
        "x = (1", "     % 2)", "if (x", "    != 3):", "    print(\"\"\"", "!not a shell line", "\"\"\")",
    ]
    assert [(origin.cell, origin.line) for origin in document.origins[:3]] == [(1, 1), (1, 2), (1, 3)]


def test_continued_env_magic_is_joined_before_it_is_read():
    document = notebook_document(notebook("%env CUBLAS_WORKSPACE_CONFIG=\\\n:4096:8\n"), "nb.ipynb")
    assert document.python.splitlines() == ["import os; os.environ['CUBLAS_WORKSPACE_CONFIG'] = ':4096:8' \\", ""]


@pytest.mark.parametrize("bad_cell,location", [
    (MARKDOWN_AS_CODE_CELL, (2, 5)),  # "Now we ..." is invalid syntax at "we"
    ("print \"training done\"\n", (1, 1)),  # Python 2
], ids=["markdown-as-code", "python2-print"])
def test_a_cell_that_does_not_parse_is_one_error_and_the_other_cells_are_linted(tmp_path, bad_cell, location):
    path = tmp_path / "dreambooth.ipynb"
    path.write_text(notebook(INSTALL_CELL, bad_cell, LOAD_CELL, ("markdown", "Train"), TRAIN_CELL, GENERATE_CELL))
    report = lint_file(path, "RPL101,RPL308")
    (error,) = report.errors
    assert (error.cell, error.line, error.column) == (2, *location)
    assert error.message.startswith("could not parse: ") and "cell was skipped" in error.message
    # The cells after the skipped one are linted, at their own cell and line.
    assert [(f.code, f.extra["cell"], f.start.line, f.start.column) for f in report.findings] == [
        ("RPL308", 3, 4, 8), ("RPL101", 5, 2, 9)]
    result = invoke(path, "--select", "RPL101,RPL308", "--output-format", "concise")
    assert result.exit_code == 2
    assert result.stdout.count("could not parse") == 1
    assert f"{path}:cell 2:{location[0]}:{location[1]}: error: could not parse: " in result.stdout
    assert f"{path}:cell 5:2:9: RPL101 " in result.stdout



def test_magics_without_percent_are_magics_only_when_not_python():
    # PhotoMaker's demo notebook: `cd PhotoMaker/` runs the %cd magic (IPython's automagic).
    document = notebook_document(notebook(
        "!git clone https://github.com/TencentARC/PhotoMaker.git\n",
        "cd PhotoMaker/\npip install -q diffusers \\\n  accelerate\n",
        "cd = 3\nls\ntime = [1, 2]\nenv\n",
    ), "nb.ipynb")
    assert document.python.splitlines() == ["pass", "pass", "pass \\", "", "cd = 3", "ls", "time = [1, 2]", "env"]
