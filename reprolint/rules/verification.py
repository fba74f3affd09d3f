"""How ``reprolint --verify`` shows a rule's effect, declared on the rule as ``verification``.

A rule whose effect a pair of runs can reveal says here which call's output to record, which
runs to compare and how the verdict words what it saw; ``reprolint.verify`` reads only this, so
it knows no rule by its code. A rule without a declaration is never verified (batch aliasing and
the seed-handling rules are static facts that a pair of runs does not reveal).

Plain data on purpose: rule modules import it, so it must stay as cheap as ``import reprolint``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional


class Observe(enum.Enum):
    """Which calls' outputs show the finding, found when the rule reports it."""

    # The reported call itself; a finding on something else, the call it is an argument of.
    FLAGGED_CALL = "flagged-call"
    # The innermost call one of whose arguments holds the reported expression (a generator, a
    # seed, `seed=1234` keyword and all).
    RECEIVING_CALL = "receiving-call"
    # Every pipeline call of the module: a module-wide setting shows in all of them.
    PIPELINE_CALLS = "pipeline-calls"


class Compare(enum.Enum):
    """Which two runs of the script must agree when the finding is harmless."""

    # Two runs whose process-level seeds differ: what the finding leaves unseeded shows.
    OTHER_SEED = "other-seed"
    # Two runs with the same seeds: what differs is the kernels, not the seeds.
    SAME_SEED = "same-seed"
    # The generator as the script leaves it vs the same generator re-seeded just before the call.
    RESEEDED = "reseeded"
    # A run vs one with a single extra draw from torch's global generator before the call, as any
    # library code may make; a difference between two plain runs counts too.
    PERTURBED = "perturbed"
    # The CPU run vs the CUDA run with the same seeds (needs both devices).
    DEVICES = "devices"


@dataclass(frozen=True)
class Verification:
    """A rule's check under ``--verify``. The fixed run is the same comparison on the copy with
    reprolint's fixes applied."""

    # None: no call shows the effect, only the training steps below do.
    observe: Optional[Observe]
    compare: Compare = Compare.OTHER_SEED
    # Where the rule finds no call to observe, run a few optimizer steps of the script's training
    # loop and compare their losses and final weights.
    training: bool = False
    # The verdict's words; "{difference}" is what the comparison found, "{runs}" how many runs
    # agreed.
    drift: str = "{difference}"
    no_drift: str = "no drift observed ({runs} runs identical)"
    # For a same-seed check: where the nondeterminism lives, named when only the CPU ran, since
    # it varies on a GPU only.
    gpu_only: str = ""
    # For a cross-device check: why a run on one device alone says nothing, and how its verdict
    # names the fix (what the fix changes is what brings the devices together).
    needs_both_devices: str = ""
    cross_device_fix: str = "the fix"

    def problems(self) -> list:
        """What keeps this declaration from being carried out; empty when it is complete."""
        found = []
        if self.observe is None and not self.training:
            found.append("observes no call and runs no training steps")
        if "{difference}" not in self.drift:
            found.append("the drift phrase does not say what differed ({difference})")
        # A cross-device verdict has no count of agreeing runs, only the difference.
        no_drift_keys = ("difference",) if self.compare is Compare.DEVICES else ("runs",)
        for name, template, keys in (("drift", self.drift, ("difference",)),
                                     ("no_drift", self.no_drift, no_drift_keys)):
            try:
                template.format(**dict.fromkeys(keys, ""))
            except (KeyError, IndexError, ValueError):
                found.append(f"the {name} phrase takes other placeholders than {', '.join(keys)}")
        if self.compare is Compare.SAME_SEED and self.training and not self.gpu_only:
            found.append("a same-seed training check names no GPU source (gpu_only)")
        if self.compare is Compare.DEVICES and not self.needs_both_devices:
            found.append("a cross-device check does not say why it needs both devices")
        return found
