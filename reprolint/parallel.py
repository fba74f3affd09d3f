"""Linting many files: cache look-ups in this process, the misses in a process pool.

Every file's result travels as a *detached* report, a plain JSON-compatible dict with no syntax
tree in it, whether it comes from the cache, from a worker process or from this process. So the
output is the same for any ``--jobs`` and with or without the cache, and memory holds findings,
never trees: each worker parses one file at a time and returns only what the reporter prints.

A detached finding keeps its fix as a summary (applicability and message, no node replacements);
code that applies fixes lints in-process with ``Linter.lint_source``.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
import os
import sys
import time
from typing import Optional

from reprolint.cache import Cache
from reprolint.findings import Applicability, FileError, FileReport, Finding, Fix, Position

PROGRESS_DELAY_S = 1.0  # a run shorter than this shows no progress bar


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------------- detached reports

def _json_safe(value):
    return json.loads(json.dumps(value, default=repr, sort_keys=True))


def _detach_error(error: FileError) -> dict:
    # Every field but the path, so fields added later (a notebook cell, ...) travel too.
    return _json_safe({f.name: getattr(error, f.name) for f in dataclasses.fields(error) if f.name != "path"})


def detach(report: FileReport) -> dict:
    findings = []
    for f in report.findings:
        fix = None if f.fix is None else {"applicability": Applicability(f.fix.applicability).value,
                                         "message": f.fix.message}
        findings.append({"code": f.code, "name": f.name, "message": f.message,
                         "start": [f.start.line, f.start.column], "end": [f.end.line, f.end.column],
                         "fix": fix, "extra": _json_safe(f.extra) if f.extra else {}})
    return {"findings": findings, "prefiltered": report.prefiltered,
            "errors": [_detach_error(e) for e in report.errors],
            "notes": [_detach_error(n) for n in getattr(report, "notes", ())]}


def attach(data: dict, path: str) -> FileReport:
    report = FileReport(path, prefiltered=bool(data.get("prefiltered")))
    for f in data["findings"]:
        fix = None if f["fix"] is None else Fix(Applicability(f["fix"]["applicability"]), f["fix"]["message"])
        report.findings.append(Finding(f["code"], f["name"], f["message"], path, Position(*f["start"]),
                                       Position(*f["end"]), fix, dict(f["extra"])))
    report.errors = [FileError(path, **e) for e in data["errors"]]
    if data.get("notes"):
        report.notes = [FileError(path, **n) for n in data["notes"]]
    return report


# ---------------------------------------------------------------------- one file

_worker_state: dict = {}


def _init_worker(settings, rules, prefilter, cache_directory, fingerprint, project=None) -> None:
    from reprolint.engine import Linter

    _worker_state["linter"] = Linter(settings, rules, prefilter=prefilter)
    _worker_state["linter"].project = project
    _worker_state["cache"] = Cache(cache_directory, fingerprint) if cache_directory else None


def _lint_one(job) -> tuple:
    """Read, lint and (when caching) store one file. Runs in a worker or in this process."""

    index, path = job
    linter, cache = _worker_state["linter"], _worker_state["cache"]
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        report = FileReport(path)
        report.errors.append(FileError(path, f"could not read: {exc.strerror or exc}"))
        return index, detach(report), None  # not cached: there is no content to key it by
    report = linter.lint_bytes(data, path)  # which turns any failure into this file's error
    detached = detach(report)
    write_error = None
    if cache is not None:
        # Keyed by the bytes this process read, so a file edited mid-run is never mis-filed.
        cache.put(cache.key(path, data), detached)
        write_error, cache.write_failed = cache.write_failed, None
    return index, detached, write_error


# ---------------------------------------------------------------------- progress

class Progress:
    """Files done / total on stderr, through click's progress bar, only on a TTY and only once
    the run has taken longer than ``PROGRESS_DELAY_S`` (a quick run prints nothing)."""

    def __init__(self, total: int, enabled: bool, clock=time.monotonic) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.bar = None

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        if self.bar is None:
            if self.clock() - self.started < PROGRESS_DELAY_S or self.done >= self.total:
                return
            import click

            self.bar = click.progressbar(length=self.total, label="Linting", file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
            self.bar.update(self.done)
        else:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


# ---------------------------------------------------------------------- many files

def lint_files(files: list, settings, rules: Optional[list] = None, jobs: int = 1,
               cache: Optional[Cache] = None, progress: bool = False, prefilter: bool = True,
               project=None) -> list:
    """Detached-and-reattached FileReports for ``files``, in the order given. ``rules``: rule
    classes, or None for those the settings select."""
    results: list = [None] * len(files)
    meter = Progress(len(files), progress)
    misses = []
    try:
        for index, path in enumerate(files):
            entry = None
            if cache is not None:
                try:
                    with open(path, "rb") as handle:
                        entry = cache.get(cache.key(path, handle.read()))
                except OSError:
                    entry = None  # the worker reports the read error
            if entry is not None:
                try:
                    results[index] = attach(entry, path)
                    meter.advance()
                    continue
                except (KeyError, TypeError, ValueError):
                    pass  # a well-formed file holding a corrupt report: lint again, rewrite it
            misses.append((index, path))
        init_args = (settings, rules, prefilter, cache.directory if cache else None,
                     cache.fingerprint if cache else None, project)
        for index, detached, write_error in _run_jobs(misses, jobs, init_args):
            results[index] = attach(detached, files[index])
            if write_error and cache.write_failed is None:
                cache.write_failed = write_error
            meter.advance()
    finally:
        meter.close()
    return results


def _run_jobs(misses: list, jobs: int, init_args: tuple):
    workers = min(jobs, len(misses))
    if workers <= 1:
        _init_worker(*init_args)
        try:
            for job in misses:
                yield _lint_one(job)
        finally:
            _worker_state.clear()
        return
    # fork shares the already-imported parser and rules with the workers for free; elsewhere
    # (macOS, Windows) spawn re-imports them once per worker.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    chunksize = max(1, min(8, len(misses) // (workers * 16)))
    done = 0
    try:
        # concurrent.futures, not multiprocessing.Pool: when a worker dies (a native crash, the
        # OOM killer) Pool waits forever for its lost task; an executor reports BrokenProcessPool.
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                 initargs=init_args) as pool:
            # map streams results back in submission order while later files are still being
            # linted; only findings cross the process boundary.
            for result in pool.map(_lint_one, misses, chunksize=chunksize):
                done += 1
                yield result
    except BrokenProcessPool:
        yield from _one_process_per_file(misses[done:], context, init_args)


def _one_process_per_file(jobs: list, context, init_args: tuple):
    """After a worker died: lint the files it may have been on one at a time, so the one that
    kills its process is reported as that file's error and every other file is still linted."""
    pool = None
    try:
        for index, path in jobs:
            if pool is None:
                pool = ProcessPoolExecutor(1, mp_context=context, initializer=_init_worker, initargs=init_args)
            try:
                yield pool.submit(_lint_one, (index, path)).result()
            except BrokenProcessPool:
                pool.shutdown(wait=True)
                pool = None
                report = FileReport(path)
                report.errors.append(FileError(path, WORKER_DIED))
                yield index, detach(report), None
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


WORKER_DIED = ("internal error: the process linting this file died (a crash in a native extension, or "
               "out of memory); a reprolint bug, please report it with this file")


# ---------------------------------------------------------------------- the command line

def speed_options(command):
    """``check``'s --jobs, --no-cache and --cache-dir."""
    import click

    options = [
        click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default="0: one per CPU",
                     help="Lint in this many processes. The output is the same for any number."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False), envvar="REPROLINT_CACHE_DIR",
                     show_envvar=True, help="Where the cache lives (default: .reprolint_cache)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def lint_paths_fast(linter, paths, jobs: int, no_cache: bool, cache_dir: Optional[str]):
    """``Linter.lint_paths`` with the pool, the cache and a progress bar on a terminal."""
    from reprolint.cache import default_cache_dir

    cache = None if no_cache else Cache.for_settings(default_cache_dir(cache_dir), linter.settings)
    run = linter.lint_paths(paths, jobs=jobs or default_jobs(), cache=cache, progress=sys.stderr.isatty())
    if cache is not None and cache.write_failed:
        import click

        click.echo(f"warning: could not write the cache: {cache.write_failed}", err=True)
    return run
