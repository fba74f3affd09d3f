"""``reprolint --verify``: run the flagged code and measure the drift it causes.

For each file with verifiable findings: instrument a copy (capture the flagged calls' outputs),
run it twice per device in fresh processes that differ only in process-level randomness,
compare, then do the same with reprolint's fix applied. The verdict lands in
``finding.extra["verification"]``.

Only this package imports numpy, and only its subprocess imports torch and diffusers; importing
``reprolint.verify`` itself stays cheap (everything heavy is imported lazily).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

# Codes whose effect a run can show. RPL105/RPL108 (batch aliasing) and RPL2xx are static
# facts that a pair of runs does not reveal.
VERIFIABLE_CODES = frozenset({
    "RPL101", "RPL102", "RPL103", "RPL104", "RPL106", "RPL107", "RPL109", "RPL110", "RPL111",
    "RPL112", "RPL301", "RPL302", "RPL303", "RPL304", "RPL305", "RPL306",
})
# Determinism findings checked on a training loop (RPL301 only where no pipeline call shows it):
# a few optimizer steps, run twice, losses and final weights compared.
TRAINING_CODES = frozenset({"RPL301", "RPL302", "RPL303", "RPL304", "RPL305", "RPL306"})
TRAINING_STEPS = 2  # optimizer steps each training run is stopped after
DEVICES = ("cpu", "cuda")


@dataclass
class VerifyOptions:
    devices: tuple = ()  # empty: cpu, and cuda when available
    stand_in: str = "auto"  # "auto" | "never"
    allow_download: bool = False
    timeout: float = 300.0
    verbose: bool = False
    use_cache: bool = True
    cache_dir: Optional[str] = None  # default: $REPROLINT_CACHE_DIR, else ./.reprolint_cache
    settings: Optional[object] = None  # reprolint.settings.Settings
    # The scripts' arguments (after `--` on the command line): for every script, replacing the
    # configuration's `verify-args`. None: each script's `verify-args`, else none.
    script_args: Optional[tuple] = None
    keep_outputs: Optional[str] = None  # a folder to copy the files each run wrote to
    report_dir: Optional[str] = None  # --verify-report: write the HTML report there
    # progress(text): a short status line (shown on a TTY); log(text): verbose output;
    # file_started(done, total, text): a file begins (done files of total are verified).
    progress: Optional[Callable[[str], None]] = None
    file_started: Optional[Callable[[int, int, str], None]] = None
    log: Optional[Callable[[str], None]] = None
    extra: dict = field(default_factory=dict)


def parse_devices(text: Optional[str]) -> tuple:
    """``"cpu,cuda"`` -> ("cpu", "cuda"); raises ValueError naming an unknown device."""
    if not text:
        return ()
    devices = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    for device in devices:
        if device not in DEVICES:
            raise ValueError(f"unknown device `{device}` (choose from {', '.join(DEVICES)})")
    return devices


def verify_run(run, options: VerifyOptions, server=None) -> Optional[str]:
    """Verify every verifiable finding of ``run`` (a RunReport), in place. ``server``: a started
    ``reprolint.verify.runner.Server`` to reuse (the caller closes it). Returns the path of the
    HTML report when ``options.report_dir`` asks for one."""
    from reprolint.verify.session import VerifySession

    session = VerifySession(options, server=server)
    session.verify(run)
    return session.report_path
