"""The content-hash cache: a file whose bytes, path and effective settings are unchanged since a
run that used the same reprolint is not read as a syntax tree again; its findings come from disk.

Layout (``.reprolint_cache/`` in the working folder unless ``--cache-dir`` or
``REPROLINT_CACHE_DIR`` says otherwise)::

    .reprolint_cache/
        .gitignore          "*": the folder never shows up in ``git status``
        CACHEDIR.TAG        marks the folder as a cache (backup tools skip it; ``clean`` checks it)
        v1/ab/abcdef....json  one entry per (fingerprint, path, content)

Entries are written to a temporary file and renamed into place, so concurrent runs never see half
an entry; an entry that does not parse or does not match its key is ignored and rewritten.
This module never imports libcst: a warm run must not pay for the parser.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
import tempfile
from importlib import metadata
from typing import Optional

import reprolint

CACHE_DIR_NAME = ".reprolint_cache"
CACHE_DIR_ENV = "REPROLINT_CACHE_DIR"
SCHEMA = "v1"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This folder is a cache created by reprolint; `reprolint clean` removes it.\n")


class CacheError(Exception):
    """A cache folder that cannot be used or removed; the message names the folder and reason."""


def default_cache_dir(explicit: Optional[str] = None) -> str:
    return explicit or os.environ.get(CACHE_DIR_ENV) or CACHE_DIR_NAME


def _package_digest() -> str:
    """A hash of reprolint's own code and data: a rule edited in a development checkout changes
    findings without changing ``__version__``, and must not be answered from an old entry."""
    root = os.path.dirname(reprolint.__file__)
    digest = hashlib.blake2b(digest_size=16)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json")):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as handle:
                    digest.update(handle.read())
    return digest.hexdigest()


def _dependency_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def settings_fingerprint(settings, rule_codes: Optional[tuple] = None) -> str:
    """Everything besides the file that decides its findings: every field of the (frozen)
    Settings object, whatever fields it grows, plus reprolint's version and code, the parser's
    version and the Python version."""
    parts = {
        "reprolint": reprolint.__version__,
        "code": _package_digest(),
        "libcst": _dependency_version("libcst"),
        "python": list(sys.version_info[:2]),
        "settings": dataclasses.asdict(settings),
        "rules": list(rule_codes) if rule_codes is not None else None,
    }
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def entry_key(fingerprint: str, path: str, data: bytes) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(fingerprint.encode() + b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(data)
    return digest.hexdigest()


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


class Cache:
    """Entries of one cache folder, for one fingerprint (settings + reprolint version)."""

    def __init__(self, directory: str, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.write_failed: Optional[str] = None  # the first write error, reported once by the CLI
        self._base_fingerprint: Optional[str] = None  # before key_by_project
        self._prepared = False
        self.refused = False  # the folder is not one reprolint may write into

    @classmethod
    def for_settings(cls, directory: str, settings, rule_codes: Optional[tuple] = None) -> "Cache":
        return cls(directory, settings_fingerprint(settings, rule_codes))

    def key(self, path: str, data: bytes) -> str:
        return entry_key(self.fingerprint, path, data)

    def summaries(self) -> "SummaryStore":
        """The project index's module summaries (``reprolint.semantic.project``) in this folder,
        keyed by content and reprolint's code, not by the settings or the rest of the project."""
        return SummaryStore(self, self._base_fingerprint or self.fingerprint)

    def key_by_project(self, project_digest: str) -> None:
        """Findings depend on the other modules' summaries too: key every entry by them."""
        self._base_fingerprint = self._base_fingerprint or self.fingerprint
        self.fingerprint = hashlib.blake2b(f"{self._base_fingerprint}:{project_digest}".encode(),
                                           digest_size=16).hexdigest()

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.directory, SCHEMA, key[:2], key + ".json")

    def get(self, key: str) -> Optional[dict]:
        """The stored report for ``key``, or None when absent, unreadable or corrupt."""
        try:
            with open(self._entry_path(key), "r", encoding="utf-8") as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("report"), dict):
            return None
        return entry["report"]

    def put(self, key: str, report: dict) -> None:
        """Store a report; a cache that cannot be written only makes the next run slower."""
        if self.refused:
            return
        path = self._entry_path(key)
        try:
            if not self._prepared:
                self._prepare()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            _write_atomically(path, json.dumps({"key": key, "report": report}, separators=(",", ":")))
        except CacheError as exc:
            self._refuse(exc)
        except OSError as exc:
            if self.write_failed is None:
                self.write_failed = f"{self.directory}: {exc.strerror or exc}"

    def _refuse(self, exc: "CacheError") -> None:
        self.refused = True
        if self.write_failed is None:
            self.write_failed = str(exc)

    def _prepare(self) -> None:
        claim_folder(self.directory)
        self._prepared = True


class SummaryStore:
    """The project index's module summaries, in one file of the cache folder: path -> (size,
    modification time, module name, summary). A warm run stats each file instead of reading it
    again (ruff's cache does the same); any change of size or time summarises it anew."""

    def __init__(self, cache: "Cache", fingerprint: str) -> None:
        self.cache = cache
        self.path = os.path.join(cache.directory, SCHEMA, f"summaries-{fingerprint[:20]}.json")
        self.entries: Optional[dict] = None
        self.changed = False

    def _load(self) -> dict:
        if self.entries is None:
            try:
                with open(self.path, "r", encoding="utf-8") as handle:
                    entries = json.load(handle)
                self.entries = entries if isinstance(entries, dict) else {}
            except (OSError, ValueError):
                self.entries = {}
        return self.entries

    def get(self, path: str, stamp: list):
        """(True, summary or None) when ``path`` is unchanged since it was summarised."""
        entry = self._load().get(path)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == stamp:
            return True, entry[1]
        return False, None

    def put(self, path: str, stamp: list, summary: Optional[dict]) -> None:
        self._load()[path] = [stamp, summary]
        self.changed = True

    def save(self) -> None:
        """Written once per run; a cache that cannot be written only makes the next run slower."""
        if not self.changed or self.cache.refused:
            return
        try:
            if not self.cache._prepared:
                self.cache._prepare()
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            _write_atomically(self.path, json.dumps(self.entries, separators=(",", ":")))
        except CacheError as exc:
            self.cache._refuse(exc)
        except OSError as exc:
            if self.cache.write_failed is None:
                self.cache.write_failed = f"{self.cache.directory}: {exc.strerror or exc}"


# What reprolint itself puts in a cache folder; anything else there belongs to the user.
OWN_TOP_LEVEL = frozenset({".gitignore", "CACHEDIR.TAG", SCHEMA, "verify"})
_OWN_FILE = re.compile(
    r"[0-9a-f]{40}\.json"            # a lint entry (v1/ab/<key>.json)
    r"|summaries-[0-9a-f]{20}\.json"  # the project index's summaries (v1/)
    r"|[0-9a-f]{64}\.json"            # a verdict (verify/<key>.json)
    r"|\.tmp-[^/]*\.part"             # a lint entry being written
    r"|\.[0-9a-f]{64}\.\d+\.tmp"      # a verdict being written
)
_OWN_SUBFOLDER = re.compile(r"[0-9a-f]{2}")  # v1/ab/


def _own_top_level(name: str) -> bool:
    return name in OWN_TOP_LEVEL or bool(re.fullmatch(r"\.tmp-[^/]*\.part", name))


def _has_our_tag(directory: str) -> bool:
    try:
        with open(os.path.join(directory, "CACHEDIR.TAG"), encoding="utf-8") as handle:
            return handle.read().startswith(CACHEDIR_TAG.splitlines()[0])
    except (OSError, ValueError):
        return False


def foreign_entries(directory: str) -> list:
    """The names at the top of ``directory`` that reprolint did not make, sorted."""
    return sorted(name for name in os.listdir(directory) if not _own_top_level(name))


def claim_folder(directory: str) -> None:
    """Make ``directory`` reprolint's cache folder, or raise CacheError. Only a folder reprolint
    created may be one: absent, empty, or holding nothing but reprolint's own layout. Writing the
    tag into a folder of the user's (``--cache-dir data``, ``--cache-dir .``) would later let
    ``clean`` take it for a cache."""
    if os.path.lexists(directory) and (os.path.islink(directory) or not os.path.isdir(directory)):
        raise CacheError(f"{directory}: not a folder; not using it as the cache")
    if os.path.isdir(directory):
        foreign = foreign_entries(directory)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise CacheError(f"{directory}: holds files reprolint did not make ({shown}); not using it "
                             "as the cache (name a new or empty folder with --cache-dir)")
    os.makedirs(directory, exist_ok=True)
    for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
        marker = os.path.join(directory, name)
        if not os.path.exists(marker):
            _write_atomically(marker, text)


@dataclasses.dataclass
class CleanResult:
    removed_folder: bool  # the folder itself is gone
    kept: list  # top-level names reprolint did not make, left in place


def _remove_own_files(folder: str) -> None:
    """Remove reprolint's entry files below ``folder``, then the subfolders they leave empty;
    a file reprolint would not have written stays, and so does its folder."""
    if os.path.islink(folder) or not os.path.isdir(folder):
        return
    for parent, subfolders, files in os.walk(folder, topdown=False):
        for name in files:
            if _OWN_FILE.fullmatch(name):
                os.unlink(os.path.join(parent, name))
        for name in subfolders:
            path = os.path.join(parent, name)
            if _OWN_SUBFOLDER.fullmatch(name) and not os.path.islink(path) and not os.listdir(path):
                os.rmdir(path)
    if not os.listdir(folder):
        os.rmdir(folder)


def clean(directory: str) -> Optional[CleanResult]:
    """Remove reprolint's own entries from a cache folder, then the folder if nothing else is
    left; None when there was no folder. Never removes a file reprolint did not make: a folder
    without reprolint's tag and with other files in it is refused whole, and one that has the tag
    (written there by an older reprolint) keeps the user's files."""
    if not os.path.lexists(directory):
        return None
    if os.path.islink(directory) or not os.path.isdir(directory):
        raise CacheError(f"{directory}: not a folder; not removing it")
    try:
        foreign = foreign_entries(directory)
        if foreign and not _has_our_tag(directory):
            raise CacheError(f"{directory}: not a reprolint cache (no CACHEDIR.TAG, and it holds "
                             f"{', '.join(foreign[:3])}{' ...' if len(foreign) > 3 else ''}); not removing it")
        for name in (SCHEMA, "verify"):
            _remove_own_files(os.path.join(directory, name))
        for name in os.listdir(directory):
            if re.fullmatch(r"\.tmp-[^/]*\.part", name):
                os.unlink(os.path.join(directory, name))
        ignore = os.path.join(directory, ".gitignore")
        if _file_text(ignore) == "*\n":
            os.unlink(ignore)
        if _has_our_tag(directory):
            os.unlink(os.path.join(directory, "CACHEDIR.TAG"))
        kept = sorted(os.listdir(directory))
        if not kept:
            os.rmdir(directory)
    except OSError as exc:
        raise CacheError(f"{directory}: could not remove: {exc.strerror or exc}") from None
    return CleanResult(removed_folder=not kept, kept=kept)


def _file_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(64)
    except (OSError, ValueError):
        return None
