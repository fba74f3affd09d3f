"""``reprolint server``: the linter in the editor, over the Language Server Protocol.

The protocol layer (``reprolint.server.protocol``) needs pygls, an optional extra
(``pip install "reprolint-torch[server]"``); everything it asks the linter goes through
``reprolint.server.session``, which needs nothing beyond reprolint itself.
"""

from __future__ import annotations

INSTALL_HINT = 'reprolint server needs pygls: pip install "reprolint-torch[server]"'


class ServerUnavailable(Exception):
    """pygls (or lsprotocol) is not installed; the message says how to install it."""


def start_io() -> None:
    """Serve one client over standard input and output until it says exit."""
    try:
        from reprolint.server.protocol import build_server
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise ServerUnavailable(f"{INSTALL_HINT} ({exc})") from None
        raise
    build_server().start_io()
