"""What the HTTP benchmarks share: a free loopback port, waiting for a server, latency percentiles."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence


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


async def keep_alive_client(port: int, requests: Sequence[bytes], n: int, latencies: list[float],
                            start: int = 0) -> None:
    """Send ``n`` raw requests in turn (from ``requests[start]``) on one keep-alive connection, each
    after the answer to the one before; append each latency (ms) and fail on an answer other than 200."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in range(n):
            began = time.perf_counter()
            writer.write(requests[(start + i) % len(requests)])
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - began) * 1000)
            if b" 200 " not in status:
                raise RuntimeError(f"unexpected answer {status!r}")
    finally:
        writer.close()
