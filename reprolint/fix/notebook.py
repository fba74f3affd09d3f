"""Fix a Jupyter notebook inside its code cells; the rest of the JSON is left as it was.

The code cells are linted as one module (a pipeline built in cell 2 is known in cell 5), so they
are fixed as one module too: each cell is preceded by a boundary comment, the module is fixed,
and the fixed text is split at the boundaries again. Fixes that insert a statement before
another keep the boundary above the new statement, so it lands in the right cell. A cell whose
Python did not change keeps its source byte for byte; in a changed cell the lines the fix did not
touch are copied from the original cell, which brings back IPython magics (``%pip``, ``!ls``)
that the module had as ``pass``. A cell that does not parse on its own is left out, byte for byte
(the lint of the fixed notebook reports it).
"""

from __future__ import annotations

import difflib
import json
import re

from reprolint.findings import FileError
from reprolint.fix.apply import FixOutcome, fix_source
from reprolint.sources import _cell_text, notebook_document

BOUNDARY = "# reprolint-fix: cell {number}"
_BOUNDARY_LINE = re.compile(r"^# reprolint-fix: cell (\d+)\n?$")


def fix_notebook(text: str, path: str, linter, unsafe: bool) -> FixOutcome:
    """The fixed notebook JSON text (``.source``) and the findings fixed (``.applied``).

    ``.remaining`` is left empty: positions inside the joined module mean nothing to a reader,
    so the caller lints the fixed notebook for what is left.
    """
    outcome = FixOutcome(path, text, text)
    document = notebook_document(text, path)
    linter.check_parsable_blocks(document)  # a cell that does not parse is left as it is
    blocks = [block for block in document.blocks if not block.skipped]
    if not blocks:
        return outcome
    module_lines = document.python.splitlines(keepends=True)
    numbers = [int(block.label.split()[-1]) for block in blocks]
    original = {number: module_lines[block.first - 1:block.last] for number, block in zip(numbers, blocks)}
    joined = "".join(BOUNDARY.format(number=number) + "\n" + "".join(original[number]) for number in numbers)
    fixed = fix_source(joined, path, linter.settings, unsafe=unsafe, linter=linter)
    # What linting found (a cell that does not parse) is found again, at the cell's own position,
    # when the caller lints the fixed notebook; only what fixing found is reported from here.
    outcome.applied = fixed.applied
    outcome.errors = [error for error in fixed.errors if error not in fixed.lint_errors]
    if not fixed.changed:
        return outcome
    cells = _split_cells(fixed.source)
    if cells is None or list(cells) != numbers:
        outcome.errors.append(FileError(path, "a fix moved a notebook cell boundary; notebook left unchanged"))
        outcome.applied = []
        return outcome
    notebook = json.loads(text)
    code_cells = [cell for cell in notebook["cells"] if cell.get("cell_type") == "code"]
    for number in numbers:
        if cells[number] == original[number]:
            continue
        cell = code_cells[number - 1]
        source = _cell_text(cell, number)
        lines = _merge(source.splitlines(), [line.rstrip("\n") for line in original[number]],
                       [line.rstrip("\n") for line in cells[number]])
        new_source = "\n".join(lines) + ("\n" if source.endswith("\n") else "")
        cell["source"] = new_source.splitlines(keepends=True) if isinstance(cell["source"], list) else new_source
    outcome.source = dump_like(notebook, text)
    return outcome


def _split_cells(module: str):
    """Cell number -> its lines, from the fixed module; None if text precedes the first cell."""
    cells: dict = {}
    current = None
    for line in module.splitlines(keepends=True):
        match = _BOUNDARY_LINE.match(line)
        if match:
            current = int(match.group(1))
            cells[current] = []
        elif current is None:
            if line.strip():
                return None
        else:
            cells[current].append(line if line.endswith("\n") else line + "\n")
    return cells


def _merge(source_lines: list, python_before: list, python_after: list) -> list:
    """The cell's new lines: unchanged Python lines are taken from the cell's source (where a
    magic was ``pass``), changed ones from the fix."""
    merged = []
    matcher = difflib.SequenceMatcher(a=python_before, b=python_after, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            merged.extend(source_lines[a_start:a_end])
        else:
            merged.extend(python_after[b_start:b_end])
    return merged


def dump_like(notebook: dict, original: str) -> str:
    """The notebook as JSON in the original file's layout: its indentation, its choice of
    escaping non-ASCII characters, its final newline. Key order is kept as read."""
    second = original.split("\n", 2)[1] if original.count("\n") >= 1 else ""
    indent = len(second) - len(second.lstrip(" ")) if original.lstrip().startswith("{\n") else None
    ascii_only = bool(re.search(r"\\u[0-9a-fA-F]{4}", original)) and original.isascii()
    text = json.dumps(notebook, indent=indent or None, ensure_ascii=ascii_only)
    return text + "\n" if original.endswith("\n") else text
