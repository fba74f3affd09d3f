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
import shutil
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
        path = self._entry_path(key)
        try:
            if not self._prepared:
                self._prepare()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            _write_atomically(path, json.dumps({"key": key, "report": report}, separators=(",", ":")))
        except OSError as exc:
            if self.write_failed is None:
                self.write_failed = f"{self.directory}: {exc.strerror or exc}"

    def _prepare(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            marker = os.path.join(self.directory, name)
            if not os.path.exists(marker):
                _write_atomically(marker, text)
        self._prepared = True


class SummaryStore:
    """``get``/``put`` of module summaries through a ``Cache``'s entries."""

    def __init__(self, cache: "Cache", fingerprint: str) -> None:
        self.cache = cache
        self.prefix = f"summary:{fingerprint}:"

    def _key(self, content_key: str) -> str:
        return hashlib.blake2b((self.prefix + content_key).encode(), digest_size=20).hexdigest()

    def get(self, content_key: str) -> Optional[dict]:
        return self.cache.get(self._key(content_key))

    def put(self, content_key: str, summary: dict) -> None:
        self.cache.put(self._key(content_key), summary)


def clean(directory: str) -> bool:
    """Remove a cache folder; False when there was none. Refuses a folder that is not a
    reprolint cache, so a mistyped ``--cache-dir`` cannot delete someone's work."""
    if not os.path.lexists(directory):
        return False
    if os.path.islink(directory) or not os.path.isdir(directory):
        raise CacheError(f"{directory}: not a folder; not removing it")
    try:
        with open(os.path.join(directory, "CACHEDIR.TAG"), encoding="utf-8") as handle:
            is_ours = handle.read().startswith(CACHEDIR_TAG.splitlines()[0])
    except OSError:
        # `--verify` keeps its verdicts in the same folder and may have made it, without the tag.
        is_ours = set(os.listdir(directory)) <= {".gitignore", "CACHEDIR.TAG", SCHEMA, "verify"}
    if not is_ours:
        raise CacheError(f"{directory}: not a reprolint cache (no CACHEDIR.TAG); not removing it")
    try:
        shutil.rmtree(directory)
    except OSError as exc:
        raise CacheError(f"{directory}: could not remove: {exc.strerror or exc}") from None
    return True
