"""What the HTTP benchmarks share: a free loopback port, waiting for a server, latency percentiles."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def wait_until_up(url: str, *, timeout_s: float = 60.0, what: str = "the server") -> None:
    """Poll ``url`` until it answers 200, or raise after ``timeout_s`` seconds."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout_s:g} s")
