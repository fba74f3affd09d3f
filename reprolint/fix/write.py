"""Write a fixed source back: atomically, keeping the file's permissions, encoding and newlines."""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import tokenize


def match_line_endings(original: str, fixed: str) -> str:
    """``fixed`` with the line endings of ``original``: CRLF when it uses CRLF throughout, CR
    when it uses CR only (classic Mac), and its final newline kept.

    libcst writes new lines with the newline of the module's first line; this makes sure a CRLF
    file gets no stray LF even where a fix adds several lines. libcst also drops the final
    newline of a CR-only module.
    """
    if "\r\n" in original and not re.search(r"(?<!\r)\n", original):
        fixed = re.sub(r"(?<!\r)\n", "\r\n", fixed)
    elif "\r" in original and "\n" not in original:
        fixed = fixed.replace("\n", "\r")
    final = re.search(r"(\r\n|\r|\n)\Z", original)
    if final and fixed and not fixed.endswith(("\r", "\n")):
        fixed += final.group(1)
    return fixed


def encode_like(text: str, original: bytes) -> bytes:
    """``text`` encoded as ``original`` was: its PEP 263 cookie or BOM decides, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    return text.encode(encoding)


class NotWritten(Exception):
    """A fixed file deliberately left as it was; ``is_error`` unless it is only a note."""

    def __init__(self, message: str, is_error: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.is_error = is_error


def real_roots(paths) -> tuple:
    """The real paths of the files and folders the user named: ``--fix`` writes only under them."""
    return tuple(os.path.realpath(path) for path in paths)


def check_may_write(path: str, roots: tuple) -> None:
    """Raise NotWritten when ``path`` must not be rewritten by ``--fix``.

    - Its real file lies outside every path the user named (a symlinked folder inside the tree
      leads out of it): reprolint never writes there. A symlink the user named is followed.
    - It is read-only by its mode bits (0444): editors refuse to overwrite such a file, and so
      does reprolint, even for root, whom the OS would let write it.
    """
    target = os.path.realpath(path)
    if not any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        raise NotWritten(f"not fixed: the file is outside the paths given (it is {target}, reached "
                         "through a symbolic link); name it to fix it", is_error=False)
    writable_bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    if not stat.S_IMODE(os.stat(target).st_mode) & writable_bits or not os.access(target, os.W_OK):
        raise NotWritten("read-only, not fixed (make it writable to fix it)")


def write_atomically(path: str, text: str) -> None:
    """Replace ``path``'s content with ``text`` in one rename.

    The text is encoded as the file was (PEP 263 cookie or BOM included); the temporary file is
    created beside the target so the rename stays on one file system, and gets the target's
    permission bits (and owner, where allowed). A symlink is followed: the file it points to is
    replaced, not the link. ``check_may_write`` decides beforehand whether to write at all.
    """
    target = os.path.realpath(path)
    with open(target, "rb") as handle:
        original = handle.read()
    data = encode_like(text, original)
    status = os.stat(target)
    if status.st_nlink > 1:
        # A rename would give this name a new inode and leave the other links with the old text.
        _write_in_place(target, original, data)
        return
    mode = stat.S_IMODE(status.st_mode)
    directory, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".reprolint-fix")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            try:  # root fixing another user's file: the file stays theirs (before chmod, which chown resets)
                os.chown(temporary, status.st_uid, status.st_gid)
            except OSError:
                pass  # not permitted: the new file is ours, as when an editor saves it
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _write_in_place(target: str, original: bytes, data: bytes) -> None:
    """Overwrite a hard-linked file through its own inode, so every link sees the fix.

    The original bytes are first saved beside it in a verified backup; a failure while writing
    puts them back, and a process killed mid-write leaves the backup
    (``.<name>.*.reprolint-backup``) from which the user can restore the file."""
    directory, name = os.path.split(target)
    descriptor, backup = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".reprolint-backup")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(original)
        handle.flush()
        os.fsync(handle.fileno())
    with open(backup, "rb") as handle:
        if handle.read() != original:
            os.unlink(backup)
            raise OSError(f"the backup of {target} did not read back whole; the file was left as it was")
    try:
        _overwrite(target, data)
    except BaseException:
        _overwrite(target, original)
        os.unlink(backup)
        raise
    os.unlink(backup)


def _overwrite(target: str, data: bytes) -> None:
    with open(target, "r+b") as handle:
        handle.write(data)
        handle.truncate(len(data))
        handle.flush()
        os.fsync(handle.fileno())
    with open(target, "rb") as handle:
        if handle.read() != data:
            raise OSError(f"{target} did not read back as written")
