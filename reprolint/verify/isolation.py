"""What a verify run may write: its scratch folder, never the user's tree.

A run works in a scratch folder that mirrors the script's folder (``runner.mirror_folder``):
small files are copies, large files and deep folders are symbolic links to the user's, so that
relative reads resolve without copying a checkpoint for every run. A link written through would
change the user's file, so every run installs an audit hook (PEP 578) that sees each write the
script's Python code asks for, before it happens, and:

- **copies up** (as overlayfs does): a write, truncation, ``chmod`` or ``utime`` of a file
  reached through a link into the user's tree first replaces that link, in the scratch folder,
  by a copy of the file (no copy when the open truncates it anyway); a linked folder on the way
  to a written path is replaced by a real folder of links one level deeper, so new files, renames
  and removals inside it stay in scratch;
- **refuses** (``PermissionError``) a write by absolute path into the user's tree: the script's
  own folder and the repository around it (its ``.git``/``.hg``/``.svn`` root);
- leaves every other path alone (the Hugging Face cache, the temporary folder, ``/dev/null``).

What it does not see: native code that opens files itself (a C or Rust extension writing through
a linked file) and subprocesses. For those the mirror never links ``.git``, ``.hg`` or ``.svn``
(the run sees no repository, and ``GIT_CEILING_DIRECTORIES`` stops git from finding one above the
scratch folder), and copies large files by reflink where the file system can, which makes them
independent copies.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from typing import Iterable, Optional

from reprolint.dependencies import nearest_folder_with

VCS_FOLDERS = (".git", ".hg", ".svn")

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# event -> (position of a path, position of its dir_fd or None, whether the write follows it).
# A path that is not followed (the one a rename moves, the one unlink removes) is itself
# replaced, so only the folders on its way need to be real scratch folders.
_PATH_EVENTS = {
    "os.truncate": ((0, None, True),),
    "os.chmod": ((0, 2, True),),
    "os.chown": ((0, 3, True),),
    "os.utime": ((0, 3, True),),
    "os.mkdir": ((0, 2, False),),
    "os.remove": ((0, 1, False),),
    "os.rmdir": ((0, 1, False),),
    "os.rename": ((0, 2, False), (1, 3, False)),
    "os.symlink": ((1, 2, False),),
    "os.link": ((1, 3, False),),
}


def repository_root(folder: str) -> Optional[str]:
    """The nearest folder at or above ``folder`` holding a version-control folder."""
    return nearest_folder_with(os.path.realpath(folder), VCS_FOLDERS)


def protected_roots(script: str) -> tuple:
    """The user's folders a run must not write into: the script's folder and its repository."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(script)))
    roots = {folder}
    repository = repository_root(folder)
    if repository is not None:
        roots.add(repository)
    return tuple(sorted(roots))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Isolation:
    """The audit hook of one run. ``scratch``: the run's working folder (a mirror);
    ``protected``: the user's folders it must not write into."""

    def __init__(self, scratch: str, protected: Iterable[str]) -> None:
        self.scratch = os.path.abspath(scratch)
        self.real_scratch = os.path.realpath(scratch)
        self.run_folder = os.path.dirname(self.real_scratch)
        self.protected = tuple(os.path.realpath(root) for root in protected)
        self._busy = threading.local()

    def install(self) -> None:
        os.environ["GIT_CEILING_DIRECTORIES"] = self.run_folder
        for name in ("GIT_DIR", "GIT_WORK_TREE"):
            os.environ.pop(name, None)
        sys.addaudithook(self._hook)

    # -- the hook -------------------------------------------------------------------------

    def _hook(self, event: str, arguments: tuple) -> None:
        if event == "open":
            path, mode, flags = (tuple(arguments) + (None, None, None))[:3]
            if not _opens_for_writing(mode, flags):
                return
            truncates = bool(mode and "w" in mode) or bool(flags and flags & os.O_TRUNC)
            self._guard(path, follow=True, keep_content=not truncates)
            return
        for index, fd_index, follow in _PATH_EVENTS.get(event, ()):
            if index < len(arguments):
                folder_fd = arguments[fd_index] if fd_index is not None and fd_index < len(arguments) else None
                self._guard(_resolve(arguments[index], folder_fd), follow=follow, keep_content=True)
        if event == "os.link" and arguments:
            self._refuse_link_to_user_file(_resolve(arguments[0], arguments[2] if len(arguments) > 2 else None))

    def _guard(self, path, follow: bool, keep_content: bool) -> None:
        if isinstance(path, int) or path is None or getattr(self._busy, "active", False):
            return
        self._busy.active = True
        try:
            target = os.path.abspath(os.fsdecode(path))
            if _inside(target, self.scratch):
                self._copy_up(target, follow, keep_content)
            real = _real_destination(target, follow)
            if _inside(real, self.run_folder):
                return  # the scratch folder, or reprolint's own files of this run beside it
            for root in self.protected:
                if _inside(real, root):
                    raise PermissionError(
                        f"reprolint --verify: the run may not write {real}: runs see the user's files "
                        "read-only, and whatever they write lands in a scratch folder")
        finally:
            self._busy.active = False

    def _refuse_link_to_user_file(self, source) -> None:
        if isinstance(source, int) or source is None:
            return
        real = os.path.realpath(os.fsdecode(source))
        if not _inside(real, self.real_scratch) and any(_inside(real, root) for root in self.protected):
            raise PermissionError(f"reprolint --verify: the run may not hard-link {real}: a write "
                                  "through the link would change the user's file")

    # -- copy-up --------------------------------------------------------------------------

    def _copy_up(self, target: str, follow: bool, keep_content: bool) -> None:
        """Make the folders on the way to ``target`` real scratch folders, and (``follow``)
        ``target`` itself a scratch copy where it is a link out of the scratch folder."""
        relative = os.path.relpath(target, self.scratch)
        if relative == os.curdir:
            return
        parts = relative.split(os.sep)
        current = self.scratch
        for part in parts[:-1]:
            current = os.path.join(current, part)
            if self._links_out(current):
                _materialise_folder(current)
            if not os.path.isdir(current):
                return  # the write fails on its own, as it would have outside --verify
        if follow and self._links_out(target):
            if os.path.isdir(target):
                _materialise_folder(target)
            else:
                _materialise_file(target, keep_content)

    def _links_out(self, path: str) -> bool:
        return os.path.islink(path) and not _inside(os.path.realpath(path), self.real_scratch)


def _opens_for_writing(mode, flags) -> bool:
    if isinstance(mode, str) and any(letter in mode for letter in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _resolve(path, folder_fd):
    """``path`` as the call sees it: relative to ``folder_fd`` where one is given."""
    if folder_fd is None or isinstance(path, int) or path is None:
        return path
    name = os.fsdecode(path)
    if os.path.isabs(name):
        return name
    try:
        return os.path.join(os.readlink(f"/proc/self/fd/{folder_fd}"), name)
    except OSError:
        return name


def _real_destination(path: str, follow: bool) -> str:
    """Where a write to ``path`` lands: the file itself (followed) or an entry of its real folder."""
    if follow and os.path.lexists(path):
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    return os.path.join(os.path.realpath(folder), name)


def _materialise_folder(link: str) -> None:
    """Replace a link to a folder by a real folder whose entries link to the original's."""
    source = os.path.realpath(link)
    os.unlink(link)
    os.mkdir(link)
    try:
        names = os.listdir(source)
    except OSError:
        return
    for name in names:
        os.symlink(os.path.join(source, name), os.path.join(link, name))


def _materialise_file(link: str, keep_content: bool) -> None:
    """Replace a link to a file by a copy of it (an empty file when it is about to be truncated)."""
    source = os.path.realpath(link)
    temporary = link + ".reprolint-copy-up"
    if keep_content and os.path.isfile(source):
        shutil.copy2(source, temporary)
    else:
        open(temporary, "wb").close()
    os.replace(temporary, link)
