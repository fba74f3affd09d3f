"""The one file loop: every run over files (linting, ``--fix``, ``--diff``) goes through
``run_paths``. Plain linting may look files up in the cache in this process and lint the misses
in a process pool.

Every file's result travels as a *detached* report, a plain JSON-compatible dict with no syntax
tree in it, whether it comes from the cache, from a worker process or from this process. So the
output is the same for any ``--jobs`` and with or without the cache, and memory holds findings,
never trees: each worker parses one file at a time and returns only what the reporter prints.

A detached finding keeps its fix as a summary (applicability and message, no node replacements);
code that applies fixes gives ``run_paths`` its own per-file step, which runs in this process.

This module sits below the engine: it is handed a linter and never imports one (a worker builds
its own from the linter's class, settings and rules).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
import os
import stat
import sys
import time
from typing import Callable, Iterable, Optional

from reprolint.cache import Cache, default_cache_dir
from reprolint.dependencies import is_dependency_file
from reprolint.discovery import discover
from reprolint.findings import Applicability, FileError, FileReport, Finding, Fix, Position, RunReport
from reprolint.sources import SourceError, read_bytes

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


def _init_worker(linter_class, settings, rules, prefilter, cache_directory, fingerprint, project=None) -> None:
    _worker_state["linter"] = linter_class(settings, rules, prefilter=prefilter)
    _worker_state["linter"].project = project
    _worker_state["cache"] = Cache(cache_directory, fingerprint) if cache_directory else None


def _init_pool_worker(*init_args) -> None:
    # A worker's trees die with each file and hold no cycles; what it inherits lives as long as
    # the worker. Freezing that, and collecting less often, spares each collection a walk over
    # the imported modules and the project index (a few percent of a cold run).
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)
    _init_worker(*init_args)


def _lint_one(job) -> tuple:
    """Read, lint and (when caching) store one file. Runs in a worker or in this process."""

    index, path = job
    linter, cache = _worker_state["linter"], _worker_state["cache"]
    try:
        data = read_bytes(path)
    except SourceError as exc:
        return index, detach(unreadable(path, exc)), None  # not cached: there is no content to key it by
    report = linter.lint_bytes(data, path)  # which turns any failure into this file's error
    detached = detach(report)
    write_error = None
    if cache is not None and not is_dependency_file(path):
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

def unreadable(path: str, exc: SourceError) -> FileReport:
    return FileReport(path, errors=[FileError(path, str(exc))])


def run_paths(linter, paths: Iterable[str], jobs: int = 1, cache: Optional[Cache] = None,
              progress: bool = False, per_file: Optional[Callable] = None) -> RunReport:
    """Every file under ``paths`` (as the linter's settings select them), in path order.

    First the linter gets the project index of the files (``Linter.index_project``), unless it
    has one. A path that does not exist, or a file that cannot be read, is that path's error.
    Each file's bytes go to ``per_file(data, path) -> FileReport`` (default
    ``linter.lint_bytes``), in this process and in discovery order (``--fix`` writes, ``--diff``
    prints, as it goes). Plain linting with ``jobs`` > 1, a ``cache`` or a progress bar goes
    through ``lint_files``.
    """
    found = discover(list(paths), linter.discovery_settings())
    run = RunReport(files=found.error_reports())
    # A FIFO (or device) named on the command line can be read only once: read it here, and let
    # the project index and the file loop share its bytes.
    streamed: dict = {}
    files = []
    for path in found.files:
        if not _regular_file(path):
            try:
                streamed[path] = read_bytes(path)
            except SourceError as exc:
                run.files.append(unreadable(path, exc))
                continue
        files.append(path)
    if linter.project is None:
        # Workers forked after the rules are imported share them: when pass 1 needs a pool, the
        # rules load here once, not in each worker of both pools.
        linter.project = linter.index_project(files, paths, cache, contents=streamed,
                                              mapper=pool_map(jobs, before_pool=lambda: linter.rules))
    if cache is not None:
        cache.key_by_project(linter.project.digest)
    step = per_file or linter.lint_bytes
    if per_file is None and (jobs > 1 or cache is not None or progress):
        run.files.extend(lint_files([path for path in files if path not in streamed], linter, jobs, cache, progress))
        files = [path for path in files if path in streamed]
    for path in files:
        try:
            data = streamed[path] if path in streamed else read_bytes(path)
        except SourceError as exc:
            run.files.append(unreadable(path, exc))
            continue
        run.files.append(step(data, path))
    run.checked += len(found.files)
    run.files.sort(key=lambda r: r.path)
    return run


def _regular_file(path: str) -> bool:
    """Whether ``path`` is a regular file (or missing: reading it says why), not a FIFO or a
    device, which may be read only once."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def lint_files(files: list, linter, jobs: int = 1, cache: Optional[Cache] = None, progress: bool = False) -> list:
    """Detached-and-reattached FileReports for ``files``, in the order given, linted as
    ``linter`` would (each worker builds its own from the linter's class, settings, rules and
    project index)."""
    results: list = [None] * len(files)
    meter = Progress(len(files), progress)
    misses = []
    try:
        for index, path in enumerate(files):
            entry = None
            # A dependency file's findings depend on the project around it, not only on its
            # content: it is never answered from the cache.
            if cache is not None and not is_dependency_file(path):
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
        init_args = (type(linter), linter.settings, linter.explicit_rules, linter.prefilter,
                     cache.directory if cache else None, cache.fingerprint if cache else None, linter.project)
        for index, detached, write_error in _run_jobs(misses, jobs, init_args):
            results[index] = attach(detached, files[index])
            if write_error and cache.write_failed is None:
                cache.write_failed = write_error
            meter.advance()
    finally:
        meter.close()
    return results


# Below this many jobs a pool costs more to start than it saves.
POOL_THRESHOLD = 64


def _start_method():
    # fork shares the already-imported parser and rules with the workers for free; elsewhere
    # (macOS, Windows) spawn re-imports them once per worker.
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def pool_map(jobs: int, before_pool: Optional[Callable] = None) -> Callable:
    """A ``map(function, items)`` that runs in ``jobs`` processes when there are enough items
    (results in order). For pass 1's summaries, which the linting pool's workers then inherit.
    ``before_pool()`` runs before a pool starts (to import what the workers will need)."""
    def mapper(function, items):
        items = list(items)
        if jobs <= 1 or len(items) < POOL_THRESHOLD:
            return list(map(function, items))
        if before_pool is not None:
            before_pool()
        chunksize = max(1, min(32, len(items) // (jobs * 8)))
        try:
            with ProcessPoolExecutor(jobs, mp_context=_start_method()) as pool:
                return list(pool.map(function, items, chunksize=chunksize))
        except BrokenProcessPool:  # a worker died: this process does it alone
            return list(map(function, items))
    return mapper


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
    context = _start_method()
    done: set = set()
    try:
        # concurrent.futures, not multiprocessing.Pool: when a worker dies (a native crash, the
        # OOM killer) Pool waits forever for its lost task; an executor reports BrokenProcessPool.
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_pool_worker,
                                 initargs=init_args) as pool:
            # map streams results back while later batches are still being linted; only
            # findings cross the process boundary.
            for results in pool.map(_lint_batch, batches_by_size(misses, workers)):
                for result in results:
                    done.add(result[0])
                    yield result
    except BrokenProcessPool:
        yield from _one_process_per_file([job for job in misses if job[0] not in done], context, init_args)


def _lint_batch(batch: list) -> list:
    return [_lint_one(job) for job in batch]


def batches_by_size(jobs: list, workers: int) -> list:
    """The (index, path) jobs in batches, largest files first: the big files, which cost the
    most, start early and alone, and the many small ones follow in batches of about equal total
    size, so no worker is left with one big file while the others idle at the end."""
    sized = []
    for job in jobs:
        try:
            size = os.path.getsize(job[1])
        except OSError:
            size = 0
        sized.append((size, job))
    sized.sort(key=lambda entry: -entry[0])
    target = max(1, sum(size for size, _ in sized) // (workers * 32))
    batches, batch, batch_size = [], [], 0
    for size, job in sized:
        batch.append(job)
        batch_size += size
        if batch_size >= target or len(batch) >= 64:
            batches.append(batch)
            batch, batch_size = [], 0
    if batch:
        batches.append(batch)
    return batches


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


def lint_paths_fast(linter, paths, jobs: int, no_cache: bool, cache_dir: Optional[str],
                    per_file: Optional[Callable] = None) -> RunReport:
    """``run_paths`` for the command line: plain linting uses the pool, the cache and a progress
    bar on a terminal; a ``per_file`` step (``--fix``, ``--diff``) runs in this process, uncached."""
    if per_file is not None:
        return run_paths(linter, paths, per_file=per_file)
    cache = None if no_cache else Cache.for_settings(default_cache_dir(cache_dir), linter.settings)
    run = run_paths(linter, paths, jobs=jobs or default_jobs(), cache=cache, progress=sys.stderr.isatty())
    if cache is not None and cache.write_failed:
        import click

        click.echo(f"warning: could not write the cache: {cache.write_failed}", err=True)
    return run
