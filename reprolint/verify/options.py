"""What a ``--verify`` run is asked to do: its options and the devices it knows.

A module of its own so that the session reads the options without importing the package, whose
``verify_run`` imports the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

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
