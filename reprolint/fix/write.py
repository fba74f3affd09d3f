"""Write a fixed source back: atomically, keeping the file's permissions, encoding and newlines."""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import tokenize


def match_line_endings(original: str, fixed: str) -> str:
    """``fixed`` with CRLF line endings when ``original`` uses CRLF throughout.

    libcst writes new lines with the newline of the module's first line; this makes sure a CRLF
    file gets no stray LF even where a fix adds several lines.
    """
    if "\r\n" in original and not re.search(r"(?<!\r)\n", original):
        return re.sub(r"(?<!\r)\n", "\r\n", fixed)
    return fixed


def encode_like(text: str, original: bytes) -> bytes:
    """``text`` encoded as ``original`` was: its PEP 263 cookie or BOM decides, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    return text.encode(encoding)


def write_atomically(path: str, text: str) -> None:
    """Replace ``path``'s content with ``text`` in one rename.

    The text is encoded as the file was (PEP 263 cookie or BOM included); the temporary file is
    created beside the target so the rename stays on one file system, and gets the target's
    permission bits. A symlink is followed: the file it points to is replaced, not the link.
    """
    target = os.path.realpath(path)
    with open(target, "rb") as handle:
        data = encode_like(text, handle.read())
    mode = stat.S_IMODE(os.stat(target).st_mode)
    directory, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".reprolint-fix")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
