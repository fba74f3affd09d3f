"""Turn the runs of one file into a verdict per finding.

What each finding's check compares is its rule's ``verification.compare``
(``reprolint.rules.verification.Compare``; A and B are two different process-level seeds, the
same letter means the same seed):

- OTHER_SEED: the observed call's output in run A vs run B of the script as written. Different
  = drift confirmed.
- RESEEDED: the call with the generator as the script leaves it (run A) vs the same call with
  the generator freshly re-seeded just before it (run A of the "reseed" copy).
- PERTURBED: run A vs run A of a copy in which one other value is drawn from torch's global
  generator between seeding and the call (as any library code may do); also A vs B.
- SAME_SEED: two runs with the *same* seeds (A vs A): what differs is the kernels, not the seeds.
- DEVICES: the CPU run vs the CUDA run with the same seeds (needs both devices).
- HASH_SEED: two runs with the same seeds, as fresh interpreters with PYTHONHASHSEED 1 and 2
  (the "hash" copy, the script as written).
- SEED_ZERO: runs A and B of the "zero" copy, in which the flagged seed test reads seed 0.
- REPEATED: within one run of the "repeat" copy, which makes the observed call twice: the
  first call's output vs the second's.
- ALONE: within one run of the "alone" copy: the last image of the observed batch vs that
  image generated alone, with its generator as it was before the batch.

"With the fix": the same comparison on the copy with reprolint's fix applied (for RESEEDED: the
fixed call vs the freshly re-seeded one, and two fixed runs with different seeds).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from reprolint.rules.verification import Compare, Verification
from reprolint.verify.compare import SLICE_VALUES, Difference, compare_outputs, format_number
from reprolint.verify.declarations import verification_of
from reprolint.verify.instrument import LOSS_CAPTURE, TRAINING_STEPS, WEIGHTS_CAPTURE
from reprolint.verify.trace import first_divergence

# For a cross-device check: the CPU-vs-CUDA difference of the flagged code must exceed this, and
# ten times that of the fixed code, to count as "a different image" rather than float error.
CROSS_DEVICE_DRIFT = 0.05
# The status of a same-seed check of GPU kernels that ran on the CPU only: neither drift nor an
# all-clear.
NEEDS_CUDA = "needs-cuda"
# A batch and one image made alone go through kernels blocked for different batch sizes, so even
# a correct fix of a batch check (ALONE) can differ from the image made alone by float rounding.
# That much is "float error", not "still differs": on floats diffusers' own batch-vs-single
# tolerance (``expected_max_diff=1e-4`` of its ``test_inference_batch_single_identical``); on
# 8-bit images one step of 255 (a rounding error that lands on a .5 boundary).
BATCH_FLOAT_ERROR = 1e-4


# The copy of the script each comparison runs besides the plain one (instrument.py makes them).
COPY_OF = {Compare.RESEEDED: "reseed", Compare.PERTURBED: "perturb", Compare.HASH_SEED: "hash",
           Compare.SEED_ZERO: "zero", Compare.REPEATED: "repeat", Compare.ALONE: "alone",
           Compare.RESUMED: "resumed"}
# Comparisons within one run: its occurrences of the observed call pair up (first, second).
WITHIN_ONE_RUN = (Compare.REPEATED, Compare.ALONE)


def _pairs_of(run) -> tuple:
    """One run whose observed calls recorded pairs, as two runs: the first of each pair, the
    second of each pair."""
    if run is None:
        return None, None
    firsts = {cid: outputs[0::2] for cid, outputs in run.captures.items()}
    seconds = {cid: outputs[1::2] for cid, outputs in run.captures.items()}
    return dataclasses.replace(run, captures=firsts), dataclasses.replace(run, captures=seconds)


def measured_environment(info: dict, runs: dict, devices: list) -> dict:
    """Where a verdict was measured: the versions the runner reported, the GPU, and per device
    the determinism settings in force at the end of its first run of the script."""
    environment = {"python": info.get("python"), "torch": info.get("torch"), "diffusers": info.get("diffusers"),
                   "cuda": info.get("cuda_version"), "cudnn": info.get("cudnn_version"),
                   "gpu": info.get("cuda_device"), "determinism": {}}
    for device in devices:
        results = runs.get((device, "original")) or []
        if results and results[0].flags:
            environment["determinism"][device] = dict(results[0].flags)
    return environment


def _worst(differences: list) -> Optional[Difference]:
    differences = [d for d in differences if d is not None]
    if not differences:
        return None
    return max(differences, key=lambda d: (d.note is not None, d.max_abs, d.fraction))


def _outputs(result, capture_ids) -> dict:
    return {cid: result.captures.get(cid, []) for cid in capture_ids}


def _compare(first, second, capture_ids) -> Optional[Difference]:
    if first is None or second is None:
        return None
    a, b = _outputs(first, capture_ids), _outputs(second, capture_ids)
    return _worst([compare_outputs(a[cid], b[cid]) for cid in capture_ids])


def _failure(results: list):
    for result in results:
        if result.status != "ok":
            return result
    return None


def _training(capture_ids: list) -> bool:
    return LOSS_CAPTURE in capture_ids


def _training_drift(first, second, capture_ids: list) -> str:
    losses = _compare(first, second, [LOSS_CAPTURE])
    weights = _compare(first, second, [WEIGHTS_CAPTURE])
    parts = []
    for name, difference in (("losses", losses), ("final weights", weights)):
        if difference is not None:
            described = "identical" if difference.identical else difference.describe(diffusers_scale=False)
            parts.append(f"{name} {described}")
    return ", ".join(parts)


def _first_two(results: list) -> tuple:
    return (results[0] if results else None), (results[1] if len(results) > 1 else None)


def compared_runs(verification: Verification, runs: dict, device: str, fixed: bool):
    """The two runs whose outputs the finding's check compares on one device."""
    prefix = "fixed" if fixed else "original"
    own = runs.get((device, prefix), [])
    first = own[0] if own else None
    if verification.compare is Compare.RESEEDED:
        reseeded = runs.get((device, "reseed"), [])
        return first, (reseeded[0] if reseeded else None)
    if verification.compare is Compare.PERTURBED:
        perturbed = runs.get((device, prefix + "-perturb"), [])
        return first, (perturbed[0] if perturbed else None)
    if verification.compare is Compare.SAME_SEED:
        return first, (own[2] if len(own) > 2 else None)
    if verification.compare is Compare.RESUMED:
        # The uninterrupted run vs the resumed one (the fix: with the random states restored).
        uninterrupted = runs.get((device, "original-uninterrupted"), [])
        resumed = runs.get((device, "original-restored" if fixed else "original-resume"), [])
        return (uninterrupted[0] if uninterrupted else None), (resumed[0] if resumed else None)
    if verification.compare in WITHIN_ONE_RUN:
        copy = runs.get((device, f"{prefix}-{COPY_OF[verification.compare]}"), [])
        return _pairs_of(copy[0] if copy else None)
    if verification.compare in (Compare.HASH_SEED, Compare.SEED_ZERO):
        return _first_two(runs.get((device, f"{prefix}-{COPY_OF[verification.compare]}"), []))
    return _first_two(own)


def _failed_comparison(verification: Verification, runs: dict, device: str, fixed: bool):
    """The failed run of the copy the comparison needs besides the plain runs, if one failed."""
    if verification.compare is Compare.RESUMED:
        names = ["original-restored"] if fixed else ["original-resume", "original-uninterrupted"]
        return _failure([result for name in names for result in runs.get((device, name), [])])
    copy = COPY_OF.get(verification.compare)
    if copy is None:
        return None
    return _failure(runs.get((device, f"{'fixed' if fixed else 'original'}-{copy}"), []))


def _script_drift(verification: Verification, runs: dict, device: str, capture_ids: list) -> tuple:
    """(first run, second run, their difference) of the unfixed script's check on ``device``."""
    first, second = compared_runs(verification, runs, device, fixed=False)
    difference = _compare(first, second, capture_ids)
    if verification.compare is Compare.PERTURBED:  # a difference between plain runs is drift too
        difference = _worst([difference, _compare(*_first_two(runs.get((device, "original"), [])), capture_ids)])
    return first, second, difference


def shows_drift(finding, capture_ids: list, runs: dict, device: str) -> bool:
    """Whether the runs of the unfixed script so far show this finding's drift on ``device``."""
    difference = _script_drift(verification_of(finding), runs, device, capture_ids)[2]
    return difference is not None and not difference.identical


def judge(finding, capture_ids: list, runs: dict, devices: list, skipped_devices: dict,
          fix_state: dict, reason: Optional[str] = None, cuda_available: bool = False,
          other_findings: Optional[dict] = None) -> dict:
    """The verdict for one finding, as a JSON-ready dict whose ``summary`` is the printed line.
    ``other_findings`` maps the lines of the file's other verified findings to their codes: a
    run that stops at one of them, before this finding's code ran, is that finding's verdict.

    ``runs`` maps (device, variant) to the list of RunResults of that copy; ``skipped_devices``
    maps a device to why it did not run; ``fix_state`` says whether and how the fix applied.
    """
    code = finding.code
    verification = verification_of(finding)
    verdict: dict = {"status": None, "summary": "", "devices": {}, "cross_device": None,
                     "fix": None, "stand_in": False, "stand_in_classes": []}
    stand_ins = sorted({name for results in runs.values() for r in results for name in r.stand_ins})
    verdict["stand_in"] = bool(stand_ins)
    verdict["stand_in_classes"] = stand_ins
    for device, why in skipped_devices.items():
        verdict["devices"][device] = {"status": "skipped", "reason": why}

    if verification.compare is Compare.RAISES:
        return _judge_raises(verdict, verification, runs, devices, skipped_devices)

    confirmed, quiet, problems, fix_parts = [], [], [], []
    raised = []  # (device, phrase, fix) where the flagged code raised and the fixed copy ran
    ran = []
    for device in devices:
        if device in skipped_devices:
            continue
        original = runs.get((device, "original"), [])
        failed = _failure(original)
        if failed is not None:
            status = "skipped" if failed.status == "skipped" else failed.status
            entry = {"status": status, "reason": failed.error}
            if failed.traceback:
                entry["traceback"] = failed.traceback
            verdict["devices"][device] = entry
            why = failed.error
            if status == "error" and runs.get((device, "fixed")):
                fix = _judge_fix_of_failure(code, runs, device, capture_ids, fix_state)
                if fix is not None:
                    entry["fix"] = fix
                    why += "; " + fix["phrase"]
                    flagged = set(range(finding.start.line, finding.end.line + 1))
                    if flagged & set(failed.error_lines):
                        # The flagged code itself raised and the fix makes the script run: the
                        # finding is shown, as a failure rather than as drift.
                        entry["status"] = "confirmed"
                        entry["raised_at_flagged_code"] = True
                        raised.append((device, f"the flagged code raises {failed.error}; {fix['phrase']}", fix))
                        continue
            stopped_at = sorted(line for line in failed.error_lines if line in (other_findings or {}))
            if status == "error" and stopped_at and not any(failed.captures.get(cid) for cid in capture_ids):
                # The run never reached this finding's code: it stopped at another finding's.
                line = stopped_at[-1]
                why = (f"the script stops earlier, at line {line} ({other_findings[line]} there: {failed.error}), "
                       f"before this code ran" + (f"; {entry['fix']['phrase']}" if entry.get("fix") else ""))
                entry["status"] = status = "skipped"
                entry["reason"] = why
            problems.append((status, device, why))
            continue
        if not capture_ids:
            verdict["devices"][device] = {"status": "skipped", "reason": reason or "nothing to observe"}
            problems.append(("skipped", device, reason or "nothing to observe"))
            continue
        if not any(original[0].captures.get(cid) for cid in capture_ids):
            why = (f"no training step ran (the script made no optimizer step; {code} is checked on "
                   "training loops)" if _training(capture_ids)
                   else f"the flagged call (line {finding.start.line}) never ran")
            verdict["devices"][device] = {"status": "skipped", "reason": why}
            problems.append(("skipped", device, why))
            continue
        ran.append(device)
        entry = {"status": "no-drift", "runs": len(original)}
        if verification.compare is Compare.DEVICES:  # judged on the runs of both devices, below
            entry["status"] = "ran"
            verdict["devices"][device] = entry
            continue
        failed = _failed_comparison(verification, runs, device, fixed=False)
        if failed is not None:
            status = "skipped" if failed.status == "skipped" else failed.status
            entry = {"status": status, "reason": f"the {COPY_OF[verification.compare]} copy: {failed.error}"}
            if failed.traceback:
                entry["traceback"] = failed.traceback
            problems.append((status, device, entry["reason"]))
            verdict["devices"][device] = entry
            continue
        first, second, difference = _script_drift(verification, runs, device, capture_ids)
        if difference is None:
            entry["status"] = "skipped"
            entry["reason"] = "the comparison run is missing"
            problems.append(("skipped", device, entry["reason"]))
            verdict["devices"][device] = entry
            continue
        entry["comparison"] = difference.as_dict()
        if verification.compare is Compare.RESUMED:
            entry["resumed_at"] = second.details.get("saved_at")
        if _training(capture_ids):
            entry["training_steps"] = TRAINING_STEPS
            entry["training"] = _training_drift(first, second, capture_ids)
            for name, capture_id in (("losses", LOSS_CAPTURE), ("weights", WEIGHTS_CAPTURE)):
                part = _compare(first, second, [capture_id])
                entry[name] = part.as_dict() if part is not None else None
        if difference.identical:
            quiet.append(device)
        else:
            if verification.compare not in WITHIN_ONE_RUN:
                divergence = first_divergence(first.trace, second.trace)
                if divergence is not None and divergence.get("found"):
                    entry["divergence"] = divergence
            entry["status"] = "confirmed"
            confirmed.append((device, difference))
            fix = (_judge_restored(runs, device, capture_ids) if verification.compare is Compare.RESUMED
                   else _judge_fix(code, verification, runs, device, capture_ids, fix_state))
            entry["fix"] = fix
            fix_parts.append(fix)
        verdict["devices"][device] = entry

    cross = None
    if "cpu" in ran and "cuda" in ran:
        cross = _compare(runs[("cpu", "original")][0], runs[("cuda", "original")][0], capture_ids)
        fixed_cross = None
        if runs.get(("cpu", "fixed")) and runs.get(("cuda", "fixed")):
            fixed_cross = _compare(runs[("cpu", "fixed")][0], runs[("cuda", "fixed")][0], capture_ids)
        verdict["cross_device"] = {"comparison": cross.as_dict() if cross else None,
                                   "fixed_comparison": fixed_cross.as_dict() if fixed_cross else None}

    if verification.compare is Compare.DEVICES:
        if not cuda_available and "cuda" not in skipped_devices:
            skipped_devices = {**skipped_devices, "cuda": "cuda not available"}
        return _finish_cross_device(verdict, verification, cross, verdict.get("cross_device"), problems,
                                    skipped_devices)

    parts = []
    if confirmed:
        verdict["status"] = "confirmed"
        if verification.compare is Compare.RESUMED:
            drift = "; ".join(f"on {device}: resumed from the checkpoint of step {verdict['devices'][device]['resumed_at']}, "
                              f"the next {TRAINING_STEPS} training steps differ from the uninterrupted run's: "
                              f"{verdict['devices'][device]['training']}{_where_parted(verdict, device)}"
                              for device, _ in confirmed)
        elif _training(capture_ids):
            same = "with the same seeds " if verification.compare is Compare.SAME_SEED else ""
            drift = "; ".join(f"on {device}: {TRAINING_STEPS} training steps {same}differ: "
                              f"{verdict['devices'][device]['training']}{_where_parted(verdict, device)}"
                              for device, _ in confirmed)
        else:
            drift = "; ".join(f"on {device}: {verification.drift.format(difference=d.describe())}"
                              f"{_where_parted(verdict, device)}" for device, d in confirmed)
        parts.append(f"drift confirmed {drift}")
        parts.append(_restored_phrase(fix_parts) if verification.compare is Compare.RESUMED
                     else _fix_phrase(fix_parts))
        verdict["fix"] = _combine_fix(fix_parts)
    elif raised:
        verdict["status"] = "confirmed"
        parts.append("confirmed " + "; ".join(f"on {device}: {phrase}" for device, phrase, _ in raised))
        verdict["fix"] = _combine_fix([fix for _, _, fix in raised])
    elif quiet and verification.compare is Compare.SAME_SEED and verification.gpu_only and "cuda" not in ran:
        # Identical runs on the CPU say nothing about kernels that vary on a GPU only: no all-clear.
        verdict["status"] = NEEDS_CUDA
        what = (f"{TRAINING_STEPS} training steps, 2 runs with the same seeds: identical losses and final weights"
                if _training(capture_ids) else "2 runs with the same seeds identical")
        parts.append(f"needs CUDA: not shown on CPU ({verification.gpu_only}: shows on a GPU only; on "
                     f"{', '.join(quiet)}: {what}); run --verify --device cuda on a machine with CUDA")
    elif quiet:
        verdict["status"] = "no-drift"
        phrase = verification.no_drift.format(runs=2)
        if verification.compare is Compare.RESUMED:
            steps = sorted({str(verdict["devices"][device].get("resumed_at")) for device in quiet})
            phrase = (f"no drift observed (resumed from the checkpoint of step {', '.join(steps)}: the next "
                      f"{TRAINING_STEPS} training steps match the uninterrupted run's, identical losses and final "
                      "weights)")
        elif _training(capture_ids):
            if verification.compare is Compare.SAME_SEED:
                phrase = (f"no drift observed on this device ({TRAINING_STEPS} training steps, 2 runs with the "
                          f"same seeds: identical losses and final weights)")
            else:
                phrase = (f"no drift observed ({TRAINING_STEPS} training steps, 2 runs with different process "
                          "seeds: identical losses and final weights)")
        parts.append(phrase if quiet == ran or len(ran) == 1 else f"{phrase} on {', '.join(quiet)}")
    if cross is not None:
        parts.append(f"cpu vs cuda: {cross.describe()}")
    for status, device, why in problems:
        label = "error" if status in ("error", "timeout") else "skipped"
        if not parts and verdict["status"] is None:
            verdict["status"] = status
        parts.append(f"{label}{' on ' + device if len(devices) > 1 else ''}: {why}")
    for device, why in skipped_devices.items():
        if verdict["status"] is None:
            verdict["status"] = "skipped"
        parts.append(f"skipped: {why}")
    if verdict["status"] is None:
        verdict["status"] = "skipped"
        parts.append("skipped: nothing ran")
    verdict["summary"] = "; ".join(p for p in parts if p)
    if stand_ins:
        verdict["summary"] += " (stand-in model)"
    return verdict


def _judge_raises(verdict: dict, verification: Verification, runs: dict, devices: list,
                  skipped_devices: dict) -> dict:
    """An error check: a run that raises the error the rule names shows the finding; one that
    runs through shows nothing on that device, and on the CPU only it says nothing about CUDA."""
    raised, ran, problems = [], [], []
    for device in devices:
        if device in skipped_devices:
            continue
        failed = _failure(runs.get((device, "original"), []))
        if failed is None:
            if runs.get((device, "original")):
                ran.append(device)
                verdict["devices"][device] = {"status": "no-drift", "reason": "ran without the error"}
            continue
        text = f"{failed.error or ''}\n{failed.traceback or ''}"
        if failed.status == "error" and verification.error_text in text:
            verdict["devices"][device] = {"status": "confirmed", "error": failed.error,
                                          "traceback": failed.traceback, "raised": True}
            raised.append((device, failed.error))
            continue
        entry = {"status": failed.status, "reason": failed.error}
        if failed.traceback:
            entry["traceback"] = failed.traceback
        verdict["devices"][device] = entry
        problems.append((failed.status, device, failed.error))
    parts = []
    if raised:
        verdict["status"] = "confirmed"
        parts.append("confirmed " + "; ".join(f"on {device}: raises {error}" for device, error in raised))
    elif "cuda" in ran:
        verdict["status"] = "no-drift"
        parts.append("not shown: the script ran on cuda without the error")
    elif ran:
        verdict["status"] = NEEDS_CUDA
        parts.append(f"needs CUDA: not shown on CPU ({verification.gpu_only}: raises on a GPU only; on "
                     f"{', '.join(ran)}: the script ran without the error); run --verify --device cuda on a "
                     "machine with CUDA")
    for status, device, why in problems:
        if verdict["status"] is None:
            verdict["status"] = "error" if status in ("error", "timeout") else "skipped"
        parts.append(f"{'error' if status in ('error', 'timeout') else 'skipped'}"
                     f"{' on ' + device if len(devices) > 1 else ''}: {why}")
    for device, why in skipped_devices.items():
        if verdict["status"] is None:
            verdict["status"] = "skipped"
        parts.append(f"skipped: {why}")
    if verdict["status"] is None:
        verdict["status"] = "skipped"
        parts.append("skipped: nothing ran")
    verdict["summary"] = "; ".join(parts)
    if verdict["stand_in"]:
        verdict["summary"] += " (stand-in model)"
    return verdict


def _where_parted(verdict: dict, device: str) -> str:
    divergence = verdict["devices"][device].get("divergence")
    return f"; {divergence['phrase']}" if divergence else ""


def _judge_fix(code: str, verification: Verification, runs: dict, device: str, capture_ids: list,
               fix_state: dict) -> dict:
    if not fix_state.get("available"):
        return {"status": "none", "reason": fix_state.get("reason", "no fix")}
    if not fix_state.get("applies", {}).get(code):
        return {"status": "none", "reason": f"{code} has no automatic fix"}
    fixed = runs.get((device, "fixed"), [])
    failed = _failure(fixed) or _failed_comparison(verification, runs, device, fixed=True)
    if failed is not None:
        return {"status": "error", "reason": failed.error}
    first, second = compared_runs(verification, runs, device, fixed=True)
    difference = _compare(first, second, capture_ids)
    if verification.compare is Compare.RESEEDED and difference is not None and len(fixed) > 1:
        # A fix that seeds once per call must also give the same output for any process seed.
        difference = _worst([difference, _compare(fixed[0], fixed[1], capture_ids)])
    if difference is None:
        return {"status": "error", "reason": "the fixed copy was not run"}
    if verification.compare is Compare.ALONE and _batch_float_error(difference):
        return {"status": "float-error", "comparison": difference.as_dict()}
    return {"status": "identical" if difference.identical else "differs", "comparison": difference.as_dict()}


def _batch_float_error(difference: Difference) -> bool:
    """Not identical, but no further apart than a batch and one image alone may be (BATCH_FLOAT_ERROR)."""
    if difference.note is not None or difference.identical:
        return False
    if difference.image:
        return difference.max_abs_255 <= 1.0 + 1e-9
    return difference.max_abs <= BATCH_FLOAT_ERROR


def _judge_restored(runs: dict, device: str, capture_ids: list) -> dict:
    """The resume check's fix: the resumed run with the checkpoint's random states restored, vs
    the uninterrupted run."""
    failed = _failure(runs.get((device, "original-restored"), []))
    if failed is not None:
        return {"status": "error", "reason": failed.error}
    first, second = compared_runs(Verification(observe=None, compare=Compare.RESUMED, training=True),
                                  runs, device, fixed=True)
    difference = _compare(first, second, capture_ids)
    if difference is None:
        return {"status": "error", "reason": "the run with the random states restored was not made"}
    return {"status": "identical" if difference.identical else "differs", "comparison": difference.as_dict(),
            "how": "random states restored at the resume"}


def _restored_phrase(fixes: list) -> str:
    fix = _combine_fix(fixes)
    if fix is None:
        return ""
    if fix["status"] == "identical":
        return "with the random states restored at the resume (the fix): identical"
    if fix["status"] == "differs":
        return ("with the random states restored at the resume: still differs (something else than the "
                "random states changes at the resume, such as the data order or the step count): "
                + _fix_phrase([fix])[len("with the fix: still differs, "):])
    return f"with the random states restored at the resume: error: {fix['reason']}"


def _judge_fix_of_failure(code: str, runs: dict, device: str, capture_ids: list, fix_state: dict) -> Optional[dict]:
    """The script failed; did the fixed copy run, and did its runs agree?"""
    if not fix_state.get("applies", {}).get(code):
        return None
    fixed = runs.get((device, "fixed"), [])
    failed = _failure(fixed)
    if failed is not None:
        return None  # the fix did not help; the script's own error says enough
    difference = _compare(fixed[0], fixed[1] if len(fixed) > 1 else None, capture_ids)
    if difference is None or not any(fixed[0].captures.get(cid) for cid in capture_ids):
        return {"status": "ran", "phrase": "with the fix: runs"}
    status = "identical" if difference.identical else "differs"
    phrase = ("with the fix: runs, 2 runs identical" if difference.identical
              else f"with the fix: runs, but still differs: {difference.describe()}")
    return {"status": status, "comparison": difference.as_dict(), "phrase": phrase}


def _combine_fix(fixes: list) -> Optional[dict]:
    if not fixes:
        return None
    for status in ("error", "differs", "none"):
        for fix in fixes:
            if fix["status"] == status:
                return fix
    return fixes[0]


def _fix_phrase(fixes: list) -> str:
    fix = _combine_fix(fixes)
    if fix is None:
        return ""
    if fix["status"] == "identical":
        return "with the fix: identical"
    if fix["status"] == "float-error":
        comparison = fix["comparison"]
        return (f"with the fix: float error only, max|Δ|={format_number(comparison['max_abs'])}"
                + (f" ({comparison['max_abs_255']:.0f}/255)" if comparison.get("image") else "")
                + " (a batch and one image alone run kernels blocked for different batch sizes)")
    if fix["status"] == "differs":
        return "with the fix: still differs, " + Difference(**{k: fix["comparison"][k] for k in (
            "max_abs", "fraction", "image", "occurrences", "note", "mean_abs", "slice_cosine_distance")},
            slice_values=fix["comparison"].get("slice_values", SLICE_VALUES)).describe()
    if fix["status"] == "error":
        return f"with the fix: error: {fix['reason']}"
    return f"no automatic fix ({fix['reason']})" if "has no automatic fix" not in fix["reason"] else "no automatic fix"


def _finish_cross_device(verdict, verification: Verification, cross, cross_entry, problems,
                         skipped_devices) -> dict:
    parts = []
    if cross is None:
        for status, device, why in problems:
            if "never ran" in why and "cuda" in skipped_devices:
                continue  # the missing device is the reason that matters
            parts.append(f"{'error' if status in ('error', 'timeout') else 'skipped'} on {device}: {why}")
            verdict["status"] = verdict["status"] or status
        reasons = [why for why in skipped_devices.values()]
        parts.append("skipped: " + ("; ".join(reasons) if reasons else "needs runs on both cpu and cuda")
                     + f" ({verification.needs_both_devices})")
        verdict["status"] = verdict["status"] or "skipped"
    else:
        fixed = cross_entry.get("fixed_comparison")
        fixed_max = fixed["max_abs"] if fixed else 0.0
        drift = cross.max_abs > max(CROSS_DEVICE_DRIFT, 10 * fixed_max)
        verdict["status"] = "confirmed" if drift else "no-drift"
        parts.append("drift confirmed " + verification.drift.format(difference=cross.describe()) if drift
                     else verification.no_drift.format(difference=cross.describe()))
        if fixed:
            parts.append(f"with {verification.cross_device_fix}: "
                         + (f"max|Δ|={format_number(fixed_max)}, float error" if fixed_max else "identical"))
            verdict["fix"] = {"status": "identical" if fixed_max == 0 else "float-error", "comparison": fixed}
    verdict["summary"] = "; ".join(parts)
    if verdict["stand_in"]:
        verdict["summary"] += " (stand-in model)"
    return verdict
