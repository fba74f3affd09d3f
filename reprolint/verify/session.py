"""Drive ``--verify`` for a whole lint run: plan the runs of each file, run them, judge."""

from __future__ import annotations

import os
import random
from typing import Optional

from reprolint.sources import SourceError, read_source
from reprolint.discovery import glob_spec, relative_to
from reprolint.settings import Settings
from reprolint.rules.verification import Compare
from reprolint.verify.cache import VerdictCache, environment_fingerprint, source_hash, verdict_key
from reprolint.verify.declarations import verifiable, verification_of
from reprolint.verify.instrument import (ALONE, PERTURB, REPEAT, RESEED, TRAINING_STEPS, capture_ids_of,
                                         hand_calls_to, locate_targets, read_seed_as_zero, retarget_devices,
                                         seed_tests_of, tested_seed, wrap_captures, wrap_generator_arguments)
from reprolint.verify.options import VerifyOptions
from reprolint.verify.runner import Server, ServerError
from reprolint.verify.verdict import (COPY_OF, NEEDS_CUDA, compared_runs, judge, measured_environment,
                                      shows_drift)

# The PYTHONHASHSEED values of the two runs that compare hash orders.
HASH_SEEDS = (1, 2)

CACHED_NOTE = " (cached verdict; --no-cache runs it again)"

# The runs of a resume check, in the order they run: the resumed run (the script trained,
# checkpointed, stopped, run again), the uninterrupted run to the same step, the resumed run with
# the checkpoint's random states restored (the fix).
RESUME_STAGES = {"original-resume": 1, "original-uninterrupted": 2, "original-restored": 3}
# Optimizer steps the run before a resume may take to reach a checkpoint.
RESUME_MAX_STEPS = 50


def _fix_function():
    """reprolint's fixer, or None where the fix package is missing."""
    try:
        from reprolint.fix import fix_source
        return fix_source
    except ImportError:
        return None


def apply_fix(instrumented: str, path: str, settings: Settings) -> tuple:
    """The instrumented copy with every fix applied, and what was fixed."""
    fix_source = _fix_function()
    if fix_source is None:
        return None, {"available": False, "reason": "the fix package is not installed"}
    try:
        outcome = fix_source(instrumented, path, settings, unsafe=True)
    except Exception as exc:  # the fixer's failure is part of the verdict, not a crash
        return None, {"available": False, "reason": f"the fix failed: {type(exc).__name__}: {exc}"}
    applied = {}
    for finding in getattr(outcome, "applied", []) or []:
        applied[getattr(finding, "code", None)] = True
    if outcome.source == instrumented:
        return None, {"available": True, "applies": {}, "reason": "nothing to fix"}
    return outcome.source, {"available": True, "applies": applied}


def _source_line(path: str, line: int) -> str:
    try:
        lines = read_source(path).splitlines()
    except SourceError:
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def verify_args_for(settings: Settings, path: str) -> tuple:
    """The ``verify-args`` of ``path``: those of the last glob that matches it (globs relative
    to the project root, as ``per-file-ignores`` are)."""
    arguments: tuple = ()
    relative = relative_to(path, os.path.abspath(settings.project_root or os.getcwd()))
    for pattern, values in settings.verify_args:
        if glob_spec([pattern]).match_file(relative):
            arguments = tuple(values)
    return arguments


class VerifySession:
    def __init__(self, options: VerifyOptions, server: Optional[Server] = None) -> None:
        self.options = options
        self.settings = options.settings or Settings()
        # A server passed in (tests share one) is the caller's to close.
        self.server: Optional[Server] = server
        self.owns_server = server is None
        self.server_error: Optional[str] = None
        self.cache = VerdictCache(options.use_cache, options.cache_dir)
        self.fingerprint = environment_fingerprint()
        self.sections: dict = {}  # id(finding) -> report.Section, for --verify-report
        self.report_path: Optional[str] = None

    # -- output ---------------------------------------------------------------------------

    def progress(self, text: str) -> None:
        if self.options.progress:
            self.options.progress(text)

    def log(self, text: str) -> None:
        if self.options.verbose and self.options.log:
            self.options.log(text)

    # -- the run --------------------------------------------------------------------------

    def verify(self, run) -> None:
        if self.cache.refused and self.options.log:
            self.options.log(f"warning: verdicts not cached: {self.cache.refused}")
        try:
            planned = [(report.path, verifiable(report.findings)) for report in run.files]
            planned = [(path, findings) for path, findings in planned if findings]
            for done, (path, findings) in enumerate(planned):
                if self.options.file_started:
                    first = findings[0]
                    more = f" and {len(findings) - 1} more" if len(findings) > 1 else ""
                    self.options.file_started(done, len(planned),
                                              f"{path}:{first.start.line} {first.code}{more}")
                self.verify_file(path, findings)
        finally:
            if self.server is not None and self.owns_server:
                self.server.close()
            self.progress("")
        if self.options.report_dir:
            try:
                self.report_path = self.write_report(run)
            except Exception as exc:  # the verdicts stand without their page: say so, keep them
                if self.options.log:
                    self.options.log(f"verify: the report could not be written: {type(exc).__name__}: {exc}")

    def write_report(self, run) -> str:
        """The HTML report of every verified finding (those answered from the cache or that did
        not run have their verdict and no pictures)."""
        from reprolint.verify import report

        sections = []
        for finding in run.findings:
            verdict = finding.extra.get("verification")
            if verdict is None:
                continue
            section = self.sections.get(id(finding))
            if section is None:
                section = report.Section(finding, _source_line(finding.path, finding.start.line), verdict)
            sections.append(section)
        versions = ", ".join(f"{name} {value}" for name, value in self.fingerprint.items()
                             if name in ("reprolint", "torch", "diffusers") and value)
        return report.write(self.options.report_dir, sections, environment=f"Measured with {versions}.")

    def _ensure_server(self) -> Server:
        if self.server_error is not None:  # it failed once; do not wait for it again per file
            raise ServerError(self.server_error)
        if self.server is not None and not self.server.alive and self.owns_server:
            # A run took the server down (its verdict says so): the next file gets a fresh one.
            self.server.close()
            self.server = None
        if self.server is None:
            self.progress("verify: starting the runner (imports torch and diffusers)")
            server = Server(allow_download=self.options.allow_download)
            try:
                server.start()
            except ServerError as exc:
                server.close()
                self.server_error = str(exc)
                raise
            except BaseException:
                server.close()
                raise
            self.server = server
            self.log(f"verify: runner started: {server.info}")
        return self.server

    def script_arguments(self, path: str) -> tuple:
        """The arguments ``path`` runs with: the command line's, else its ``verify-args``."""
        if self.options.script_args is not None:
            return tuple(self.options.script_args)
        return verify_args_for(self.settings, path)

    def outputs_folder(self, path: str, device: str, variant: str, index: int) -> Optional[str]:
        """Where ``--keep-outputs`` puts the files of one run: DIR/<script>/<device>-<copy>-run<N>,
        the script named by its path relative to the working folder, less `.py`."""
        if not self.options.keep_outputs:
            return None
        relative = os.path.relpath(os.path.abspath(path))
        if relative.startswith(os.pardir):
            relative = os.path.basename(path)
        return os.path.join(self.options.keep_outputs, os.path.splitext(relative)[0],
                            f"{device}-{variant}-run{index}")

    def _cache_options(self) -> dict:
        return {"devices": list(self.options.devices), "stand_in": self.options.stand_in,
                "allow_download": self.options.allow_download, "timeout": self.options.timeout,
                "select": list(self.settings.select), "ignore": list(self.settings.ignore),
                "fixer": getattr(_fix_function(), "__module__", None)}

    def verify_file(self, path: str, findings: list) -> None:
        arguments = self.script_arguments(path)
        if not path.endswith(".py"):
            for finding in findings:
                finding.extra["verification"] = {
                    "status": "skipped",
                    "summary": "skipped: --verify runs Python scripts (.py), not notebooks or Markdown"}
            return
        try:
            source = read_source(path)
        except SourceError as exc:
            for finding in findings:
                finding.extra["verification"] = {"status": "error", "summary": f"error: {exc}"}
            return
        content_hash = source_hash(source)
        options = {**self._cache_options(), "arguments": list(arguments)}
        keys = {id(f): verdict_key(content_hash, f, options, self.fingerprint) for f in findings}
        pending = []
        for finding in findings:
            cached = self.cache.get(keys[id(finding)])
            if cached is not None:
                cached["cached"] = True
                cached["summary"] += CACHED_NOTE
                finding.extra["verification"] = cached
            else:
                pending.append(finding)
        if not pending:
            return
        try:
            verdicts = self._verify_source(path, source, pending, arguments)
        except ServerError as exc:
            for finding in pending:
                finding.extra["verification"] = {"status": "error", "summary": f"error: {exc}"}
            return
        except Exception as exc:  # reprolint's own failure on this file: a verdict, not a crash
            for finding in pending:
                finding.extra["verification"] = {
                    "status": "error",
                    "summary": f"error: reprolint could not verify this file: {type(exc).__name__}: {exc}"}
            return
        for finding in pending:
            verdict = verdicts[id(finding)]
            verdict["cached"] = False
            finding.extra["verification"] = verdict
            if verdict["status"] in ("confirmed", "no-drift", NEEDS_CUDA):
                self.cache.put(keys[id(finding)], verdict)

    def _verify_source(self, path: str, source: str, findings: list, arguments: tuple) -> dict:
        targets = locate_targets(findings)
        for finding in findings:
            if verification_of(finding).compare is Compare.SEED_ZERO and tested_seed(source, finding) is None:
                # No copy can read seed 0 where the finding tests it: nothing to compare.
                targets.by_finding[id(finding)] = []
                targets.training.discard(id(finding))
                targets.reasons[id(finding)] = "the seed it tests could not be read from the reported code"
        instrumented = wrap_captures(source, targets.spans)
        comparisons = {verification_of(f).compare for f in findings}

        def captured_for(comparison):
            return {cid for f in findings if verification_of(f).compare is comparison
                    for cid in capture_ids_of(targets, f)}

        variants = {"original": instrumented}
        fixed, fix_state = apply_fix(instrumented, path, self.settings)
        if fixed is not None:
            variants["fixed"] = fixed
        if Compare.RESEEDED in comparisons:
            variants["reseed"], _ = wrap_generator_arguments(instrumented, RESEED, captured_for(Compare.RESEEDED))
        if Compare.PERTURBED in comparisons:
            ids = captured_for(Compare.PERTURBED)
            variants["original-perturb"], _ = wrap_generator_arguments(instrumented, PERTURB, ids)
            if fixed is not None:
                variants["fixed-perturb"], _ = wrap_generator_arguments(fixed, PERTURB, ids)
        for comparison, hook in ((Compare.REPEATED, REPEAT), (Compare.ALONE, ALONE)):
            if comparison in comparisons:
                ids = captured_for(comparison)
                variants["original-" + COPY_OF[comparison]] = hand_calls_to(instrumented, hook, ids)
                if fixed is not None:
                    variants["fixed-" + COPY_OF[comparison]] = hand_calls_to(fixed, hook, ids)
        if Compare.SEED_ZERO in comparisons:
            seeds = seed_tests_of(source, [f for f in findings if verification_of(f).compare is Compare.SEED_ZERO])
            variants["original-zero"], _ = read_seed_as_zero(instrumented, seeds)
            if fixed is not None:
                variants["fixed-zero"], _ = read_seed_as_zero(fixed, seeds)
        if Compare.RESUMED in comparisons:
            # Trained, checkpointed, stopped and resumed (with the random states as the script
            # leaves them, and restored); the uninterrupted run follows once the checkpoint's
            # step is known.
            for variant in RESUME_STAGES:
                variants[variant] = instrumented
        if Compare.HASH_SEED in comparisons:
            variants["original-hash"] = instrumented
            if fixed is not None:
                variants["fixed-hash"] = fixed

        system = random.SystemRandom()
        seed_a = system.randrange(1, 2 ** 31)
        seed_b = seed_a
        while seed_b == seed_a:
            seed_b = system.randrange(1, 2 ** 31)
        same_seed_rerun = Compare.SAME_SEED in comparisons
        train_steps = TRAINING_STEPS if targets.training else 0
        plan = {}
        hash_seeds = {}
        for variant in variants:
            if variant in ("original", "fixed"):
                plan[variant] = [seed_a, seed_b] + ([seed_a] if same_seed_rerun else [])
            elif variant.endswith("-zero"):
                plan[variant] = [seed_a, seed_b]
            elif variant.endswith("-hash"):
                plan[variant] = [seed_a, seed_a]
                hash_seeds[variant] = list(HASH_SEEDS)
            else:
                plan[variant] = [seed_a]

        server = self._ensure_server()
        available = bool(server.info.get("cuda_available"))
        devices = list(self.options.devices) or (["cpu", "cuda"] if available else ["cpu"])
        skipped_devices = {}
        if "cuda" in devices and not available:
            skipped_devices["cuda"] = "cuda not available"
        runs: dict = {}
        label = ", ".join(sorted({f.code for f in findings}))
        unfixed_total = sum(len(seeds) for variant, seeds in plan.items() if not variant.startswith("fixed"))
        cross_device = Compare.DEVICES in comparisons and len([d for d in devices if d not in skipped_devices]) > 1
        for device in devices:
            if device in skipped_devices:
                continue
            done, total = 0, unfixed_total
            # The fixed copies run last, and only where the script's own runs showed drift.
            order = sorted(variants, key=lambda name: (name.startswith("fixed"), RESUME_STAGES.get(name, 0)))
            original_error = False
            for variant in order:
                text = variants[variant]
                if original_error and variant != "fixed":
                    continue
                options = {}
                if variant in RESUME_STAGES:
                    options = self._resume_options(variant, runs.get((device, "original-resume"), []))
                    if options is None:
                        continue  # the resumed run did not resume: nothing to compare it with
                    if variant == "original-restored" and not any(
                            shows_drift(f, capture_ids_of(targets, f), runs, device) for f in findings
                            if verification_of(f).compare is Compare.RESUMED):
                        continue  # the resume changed nothing: there is nothing for the fix to remove
                if variant.startswith("fixed") and not original_error:
                    if not cross_device and not any(
                            shows_drift(f, capture_ids_of(targets, f), runs, device) for f in findings):
                        continue  # nothing drifted: there is nothing for the fix to remove
                    total += len(plan[variant])
                device_text = retarget_devices(text, device)
                results = runs.setdefault((device, variant), [])
                for seed in plan[variant]:
                    done += 1
                    self.progress(f"verify {path} ({label}) on {device}: {variant} copy, run {done} of {total}")
                    result = server.run(path, device_text, device, seed, self.options.stand_in,
                                        self.options.timeout, arguments,
                                        self.outputs_folder(path, device, variant, len(results) + 1),
                                        options.get("train_steps", train_steps),
                                        hash_seed=(hash_seeds[variant][len(results)]
                                                   if variant in hash_seeds else None),
                                        resume=options.get("resume"), record_from=options.get("record_from", 0))
                    results.append(result)
                    self._log_run(path, device, variant, len(results), result)
                    if result.status != "ok" and variant == "original":
                        break
                if variant == "original" and any(r.status != "ok" for r in results):
                    # The failure is the verdict. Only an exception (an int passed as a generator,
                    # say) is worth running the fixed copy for: does the fix make it run?
                    failed = results[-1]
                    flagged_lines = {line for f in findings for line in range(f.start.line, f.end.line + 1)}
                    raised_at_flagged_code = failed.status == "error" and bool(
                        flagged_lines & set(failed.error_lines))
                    if raised_at_flagged_code and "fixed" in variants:
                        original_error = True
                        total = done + len(plan["fixed"])
                        continue
                    break
        verdicts = {}
        lines = source.splitlines()
        for finding in findings:
            capture_ids = capture_ids_of(targets, finding)
            verdicts[id(finding)] = judge(
                finding, capture_ids, runs, devices, skipped_devices, fix_state,
                reason=targets.reasons.get(id(finding)), cuda_available=available,
                other_findings={line: other.code for other in findings if other is not finding
                                for line in range(other.start.line, other.end.line + 1)})
            verdicts[id(finding)]["environment"] = measured_environment(server.info, runs, devices)
            if self.options.report_dir:
                from reprolint.verify import report

                line = lines[finding.start.line - 1] if finding.start.line <= len(lines) else ""
                self.sections[id(finding)] = report.collect(
                    finding, line, verdicts[id(finding)], capture_ids,
                    lambda device, fixed, verification=verification_of(finding):
                        compared_runs(verification, runs, device, fixed),
                    runs, devices)
        return verdicts

    @staticmethod
    def _resume_options(variant: str, resumed: list) -> Optional[dict]:
        """How a run of the resume check is made; None where it cannot be (the resumed run
        before it did not resume)."""
        if variant in ("original-resume", "original-restored"):
            if variant == "original-restored" and not (resumed and resumed[0].status == "ok"):
                return None
            return {"resume": {"steps": TRAINING_STEPS, "max_steps": RESUME_MAX_STEPS,
                               "restore": variant == "original-restored"}}
        if not (resumed and resumed[0].status == "ok" and "saved_at" in resumed[0].details):
            return None
        saved_at = resumed[0].details["saved_at"]
        return {"train_steps": saved_at + TRAINING_STEPS, "record_from": saved_at}

    def _log_run(self, path, device, variant, index, result) -> None:
        if not self.options.verbose:
            return
        lines = [f"--- verify {path} on {device}, {variant} copy, run {index}: {result.status}"
                 f" ({result.seconds:.1f} s){' ' + result.error if result.error else ''}"]
        if result.stand_ins:
            lines.append(f"    stand-in model: {', '.join(result.stand_ins)}")
        for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            if text.strip():
                lines.append(f"    {name}:")
                lines.extend("      " + line for line in text.rstrip().splitlines()[-40:])
        if result.traceback:
            lines.append("    traceback:")
            lines.extend("      " + line for line in result.traceback.rstrip().splitlines())
        self.log("\n".join(lines))
