"""Where a notebook cell's characters are in the ``.ipynb`` file itself.

Findings in a notebook are reported at (cell, line within the cell), which is what a reader of
the notebook wants. A tool that opens the file as text (a SARIF viewer, GitHub code scanning)
needs the line and column of the JSON file: each cell's ``source`` is a JSON string, or a list
of them, somewhere in the file, with escapes (``\\"``, ``\\n``, ``\\u00e9``) that make raw
columns differ from the cell's. ``NotebookLocator`` finds the source strings with a small JSON
walker (the standard library's parser keeps no positions) and maps a cell position to the file.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Optional

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_SIMPLE_ESCAPE_LENGTH = 2  # \n, \", \\ ...
_UNICODE_ESCAPE_LENGTH = 6  # \uXXXX


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()


def _members(text: str, index: int):
    """(key, value start) for each member of the JSON object at ``text[index]`` (a ``{``)."""
    index = _skip(text, index + 1)
    while text[index] != "}":
        key, index = scanstring(text, index + 1)
        index = _skip(text, _skip(text, index) + 1)  # past the colon
        yield key, index
        _, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)


def _elements(text: str, index: int):
    """The start of each element of the JSON array at ``text[index]`` (a ``[``)."""
    index = _skip(text, index + 1)
    while text[index] != "]":
        yield index
        _, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)


def _raw_offset(text: str, quote: int, decoded_index: int) -> int:
    """The offset in ``text`` of character ``decoded_index`` of the JSON string whose opening
    quote is at ``quote`` (the closing quote's offset for the index just past its end)."""
    raw = quote + 1
    for _ in range(decoded_index):
        if text[raw] != "\\":
            raw += 1
        elif text[raw + 1] != "u":
            raw += _SIMPLE_ESCAPE_LENGTH
        else:
            high = int(text[raw + 2:raw + 6], 16)
            raw += _UNICODE_ESCAPE_LENGTH
            if 0xD800 <= high < 0xDC00 and text.startswith("\\u", raw):  # a surrogate pair: one character
                raw += _UNICODE_ESCAPE_LENGTH
    return raw


class NotebookLocator:
    """Maps (code cell, line, column) to (line, column) of the notebook file's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._pieces: Optional[dict] = None  # code cell number -> [(quote offset, decoded text)]

    def _scan(self) -> dict:
        pieces: dict = {}
        text = self.text
        start = _skip(text, 0)
        cells = next((at for key, at in _members(text, start) if key == "cells"), None)
        number = 0
        for cell_at in _elements(text, cells) if cells is not None else ():
            members = dict(_members(text, cell_at))
            if "cell_type" not in members or _DECODER.raw_decode(text, members["cell_type"])[0] != "code":
                continue
            number += 1
            source = members.get("source")
            if source is None:
                continue
            quotes = [source] if text[source] == '"' else list(_elements(text, source))
            pieces[number] = [(quote, scanstring(text, quote + 1)[0]) for quote in quotes]
        return pieces

    def position(self, cell: int, line: int, column: int) -> Optional[tuple]:
        """The file's (line, column), both 1-based, of column ``column`` of line ``line`` of
        code cell ``cell``; None where the notebook does not have that position."""
        if self._pieces is None:
            try:
                self._pieces = self._scan()
            except (ValueError, IndexError, TypeError):  # not the layout json.loads accepted
                self._pieces = {}
        pieces = self._pieces.get(cell)
        if not pieces:
            return None
        cell_text = "".join(piece for _, piece in pieces)
        line_starts = [0] + [match.end() for match in re.finditer("\n", cell_text)]
        if not 1 <= line <= len(line_starts):
            return None
        wanted = min(line_starts[line - 1] + column - 1, len(cell_text))
        consumed = 0
        for index, (quote, piece) in enumerate(pieces):
            if wanted < consumed + len(piece) or index == len(pieces) - 1:
                offset = _raw_offset(self.text, quote, min(wanted - consumed, len(piece)))
                break
            consumed += len(piece)
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1
