"""A free TCP port on 127.0.0.1, for a server a test or a development tool must name before it starts
(PostgreSQL's `-p`, a simulator stopped and started again on the same port, an SMTP server)."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now. Another process may take it before the caller binds it: use it
    only where the server cannot bind port 0 itself and report what it got."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
