"""A gateway address whose connections never complete: "connecting" for as long as a test needs.

A listening socket with a backlog of 0 that nobody accepts on, its queue filled: the kernel
then drops every new connection attempt (SYN), so a client's ``connect`` neither succeeds
nor fails until its own timeout. That is the moment an outage looks like from the client.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def unanswered_url() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` where connections hang, while the context lasts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):  # the kernel queues backlog + 1 connections, then drops SYNs
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()
