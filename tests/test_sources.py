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
    return Linter(Settings(select=(select,))).lint_file(str(path))


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
