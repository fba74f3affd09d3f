"""``reprolint --verify``: run the flagged code and measure the drift it causes.

For each file with verifiable findings: instrument a copy (capture the flagged calls' outputs),
run it twice per device in fresh processes that differ only in process-level randomness,
compare, then do the same with reprolint's fix applied. The verdict lands in
``finding.extra["verification"]``.

Only this package imports numpy, and only its subprocess imports torch and diffusers; importing
``reprolint.verify`` itself stays cheap (everything heavy is imported lazily).
"""

from __future__ import annotations

from typing import Optional

from reprolint.verify.options import DEVICES, VerifyOptions, parse_devices

__all__ = ["DEVICES", "VerifyOptions", "parse_devices", "verify_run"]


def verify_run(run, options: VerifyOptions, server=None) -> Optional[str]:
    """Verify every verifiable finding of ``run`` (a RunReport), in place. ``server``: a started
    ``reprolint.verify.runner.Server`` to reuse (the caller closes it). Returns the path of the
    HTML report when ``options.report_dir`` asks for one."""
    from reprolint.verify.session import VerifySession

    session = VerifySession(options, server=server)
    session.verify(run)
    return session.report_path
