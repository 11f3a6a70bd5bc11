"""CDS Hooks order-sign with prefetch at 50 concurrent clients: latency percentiles and throughput.

The server (uvicorn, the ``opioid-order-on-naltrexone`` service answering from prefetch) runs in its
own process on a loopback port with two workers (``CDS_BENCH_WORKERS``, default 2: one per core).
The clients are 50 keep-alive connections driven by asyncio in this process. Every request is an
EHR-shaped order-sign call (a draft oxycodone order, prefetched Patient and medication bundles, the
patient on XR-NTX) and must get a critical card.

* Saturation: each client sends its next request as soon as the previous answer arrives (closed
  loop, no think time: the hardest load 50 clients can make). Baseline: ``GET /cds-services``
  (discovery, no work) under the same load, the floor of the HTTP stack on this machine.
* Paced: each client waits 100 ms after each answer (about 500 requests/s offered, far above a
  hospital's order-sign rate).
* Service time: the mean time of one call through the ASGI app in this process, without network or
  client: what the service itself costs.
* Signed: the same calls as a configured EHR makes them, each with its own JWT, to ``naltrack serve``
  (one worker per core) on a throwaway PostgreSQL: the JWT is checked, its ``jti`` claimed in the
  database (shared by the workers), the call audited under the EHR's clinic and its cards kept for
  feedback. Closed loop beside the anonymous figures, and paced at one call a second per client.

Goal (issue 7): p99 at most 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks import Figure
from benchmarks._http import free_port, percentile, wait_until_up

CLIENTS = 50
#: The paced scenario: each client sends one order-sign every PACE_S seconds (50 busy prescribers).
PACE_S = 0.1
#: The signed paced scenario: one order-sign a second per client (50 requests/s offered, many times a large
#: hospital's rate of signed medication orders).
SIGNED_PACE_S = 1.0
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def request_body(n: int, last_injection: str = "2026-03-02") -> dict[str, Any]:
    """The order-sign call of patient ``n % 500``, on XR-NTX since January, last injected ``last_injection``."""
    pid = f"ehr-{n % 500}"
    ref = {"reference": f"Patient/{pid}"}
    statement = {"resourceType": "MedicationStatement", "id": f"ms-{n}", "status": "active", "subject": ref,
                 "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "637213"}]},
                 "effectivePeriod": {"start": "2026-01-01", "end": last_injection}}
    disulfiram = {"resourceType": "MedicationRequest", "id": f"mr-{n}", "status": "active", "intent": "order",
                  "subject": ref, "authoredOn": "2025-12-01",
                  "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197623"}]}}
    draft = {"resourceType": "MedicationRequest", "id": f"draft-{n}", "status": "draft", "intent": "order",
             "subject": ref, "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7804",
                                                                        "display": "oxycodone"}]}}
    return {
        "hook": "order-sign", "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/doc-1", "patientId": pid,
                    "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]}},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1984-02-03",
                        "name": [{"family": "Synth", "given": ["Pat"]}]},
            "medicationRequests": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": disulfiram}]},
            "medicationAdministrations": {"resourceType": "Bundle", "type": "searchset", "entry": []},
            "medicationStatements": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": statement}]},
        },
    }


def build_app() -> Any:
    """The server's app: the CDS router alone, prefetch only, a fixed clock."""
    from fastapi import FastAPI

    from naltrack.cds.auth import JwtVerifier
    from naltrack.cds.engine import CdsEngine
    from naltrack.cds.router import build_cds_router

    engine = CdsEngine(verifier=JwtVerifier({}, anonymous=True),
                       clock=lambda: datetime(2026, 3, 12, 16, tzinfo=UTC), timezone="UTC")
    app = FastAPI()
    app.include_router(build_cds_router(engine))
    return app


def serve(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run("benchmarks.cds_order_sign:build_app", factory=True, host="127.0.0.1", port=port, workers=workers,
                log_level="error", access_log=False, ws="none", lifespan="off")


async def _one_client(host: str, port: int, requests: list[bytes], check: bool,
                      latencies: list[float], pace_s: float = 0.0) -> None:
    """One keep-alive HTTP/1.1 connection sending ``requests`` one after the other.

    A plain asyncio stream, not an HTTP library, so that the client's own cost stays small
    beside the server's (both share this machine's two cores).
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for n, raw in enumerate(requests):
            if pace_s:  # a paced client: one request every pace_s seconds, the first at a random offset
                await asyncio.sleep(pace_s * ((n == 0) * ((hash(raw) % 1000) / 1000) + (n > 0)))
            start = time.perf_counter()
            writer.write(raw)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            if b" 200 " not in status or (check and b'"critical"' not in body):
                raise RuntimeError(f"unexpected answer {status!r}: {body[:200]!r}")
    finally:
        writer.close()


def _http(method: str, path: str, port: int, body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _load(port: int, requests: list[bytes], per_client: int, check: bool,
                pace_s: float = 0.0) -> tuple[list[float], float]:
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(
        _one_client("127.0.0.1", port, [requests[(k * per_client + i) % len(requests)] for i in range(per_client)],
                    check, latencies, pace_s)
        for k in range(CLIENTS)))
    return latencies, time.perf_counter() - start


def service_time_ms(requests: int) -> float:
    """Mean time of one order-sign call through the ASGI app in this process: no network, no client."""
    app = build_app()
    bodies = [json.dumps(request_body(n)).encode() for n in range(100)]
    path = "/cds-services/opioid-order-on-naltrexone"

    async def call(body: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"bench"), (b"content-type", b"application/json")],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise RuntimeError(f"status {message['status']}")

        await app(scope, receive, send)

    async def many(n: int) -> None:
        for i in range(n):
            await call(bodies[i % len(bodies)])

    asyncio.run(many(200))
    start = time.perf_counter()
    asyncio.run(many(requests))
    return (time.perf_counter() - start) / requests * 1000


ISSUER = "https://ehr.bench.example"
AUDIENCE = "https://naltrack.bench.example/cds-services"


def _signed_calls(port: int, n: int, key: Any) -> list[bytes]:
    """``n`` order-sign calls, each with its own JWT (its own ``jti``), signed by the bench EHR's key."""
    import jwt

    path = "/cds-services/opioid-order-on-naltrexone"
    now = int(time.time())
    last_injection = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()  # the server's clock is real
    calls = []
    for k in range(n):
        token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE + path.removeprefix("/cds-services"), "iat": now,
                            "exp": now + 3000, "jti": str(uuid.uuid4())}, key, algorithm="ES384",
                           headers={"kid": "bench-1"})
        body = json.dumps(request_body(k, last_injection)).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n")
        calls.append(head.encode() + body)
    return calls


def signed_scenario(quick: bool) -> tuple[list[float], float, list[float]]:
    """Signed calls to ``naltrack serve`` (its default workers) on PostgreSQL, as a configured EHR makes them:
    the JWT checked and its ``jti`` claimed in the database, the call audited under the EHR's clinic, the
    cards kept for feedback. Returns the closed-loop latencies, their seconds, and the paced latencies."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    from benchmarks.api_read import postgres
    from benchmarks.chart_reads import NALTRACK, _env

    key = ec.generate_private_key(ec.SECP384R1())
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "bench-1", "use": "sig", "alg": "ES384"}
    with postgres() as url, tempfile.TemporaryDirectory(prefix="naltrack-cds-bench-") as data:
        env = {**_env(url, data), "NALTRACK_CDS_AUDIENCE": AUDIENCE, "NALTRACK_CDS_ISSUERS_JSON": json.dumps(
            [{"iss": ISSUER, "name": "Bench EHR", "clinic": "s7-c1", "jwks": {"keys": [jwk]}}])}
        subprocess.run([*NALTRACK, "demo", "--patients", "20", "--seed", "7"], env=env, check=True,
                       capture_output=True)
        port = free_port()
        server = subprocess.Popen([*NALTRACK, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/health", timeout_s=120, what="naltrack serve")
            per_client = 20 if quick else 200
            paced_per_client = 3 if quick else 10
            calls = _signed_calls(port, CLIENTS * (10 + per_client + paced_per_client), key)
            warm, closed, paced = (calls[:CLIENTS * 10], calls[CLIENTS * 10:CLIENTS * (10 + per_client)],
                                   calls[CLIENTS * (10 + per_client):])
            asyncio.run(_load(port, warm, 10, True))
            latencies, seconds = asyncio.run(_load(port, closed, per_client, True))
            paced_latencies, _ = asyncio.run(_load(port, paced, paced_per_client, True, SIGNED_PACE_S))
        finally:
            server.terminate()
            server.wait(30)
    return latencies, seconds, paced_latencies


def run(quick: bool = False) -> list[Figure]:
    port = free_port()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.cds_order_sign", "serve", str(port),
                               os.environ.get("CDS_BENCH_WORKERS", "2")], cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/cds-services", timeout_s=30, what="the CDS server")
        path = "/cds-services/opioid-order-on-naltrexone"
        calls = [_http("POST", path, port, json.dumps(request_body(n)).encode()) for n in range(1000)]
        per_client = 20 if quick else 200
        asyncio.run(_load(port, calls, 10, True))  # warm up
        latencies, seconds = asyncio.run(_load(port, calls, per_client, True))
        floor, _ = asyncio.run(_load(port, [_http("GET", "/cds-services", port)], per_client, False))
        paced, _ = asyncio.run(_load(port, calls, 10 if quick else 50, True, PACE_S))
    finally:
        server.terminate()
        server.wait(10)
    n = len(latencies)
    in_process = service_time_ms(500 if quick else 5000)
    signed, signed_s, signed_paced = signed_scenario(quick)
    where = "naltrack serve on PostgreSQL, JWT checked and its jti claimed in the database, call audited"
    return [
        Figure("order-sign service time in process (ASGI app, no network)", in_process, "ms"),
        Figure("order-sign p50 latency, 50 clients", percentile(latencies, 50), "ms",
               "discovery GET p50", percentile(floor, 50), lower_is_better=True),
        Figure("order-sign p99 latency, 50 clients", percentile(latencies, 99), "ms",
               "discovery GET p99", percentile(floor, 99), goal="<= 50 ms", lower_is_better=True),
        Figure(f"order-sign throughput ({n:,} requests)", n / seconds, "requests/s"),
        Figure(f"order-sign p99 latency, 50 clients paced at one request per {PACE_S * 1000:g} ms each "
               f"({CLIENTS / PACE_S:g} requests/s offered)", percentile(paced, 99), "ms", goal="<= 50 ms",
               lower_is_better=True),
        Figure(f"signed order-sign p99 latency, 50 clients ({where})", percentile(signed, 99), "ms",
               "anonymous order-sign p99", percentile(latencies, 99), lower_is_better=True),
        Figure(f"signed order-sign throughput ({len(signed):,} requests)", len(signed) / signed_s, "requests/s",
               "anonymous", n / seconds),
        Figure(f"signed order-sign p99 latency, 50 clients paced at one request per {SIGNED_PACE_S:g} s each "
               f"({CLIENTS / SIGNED_PACE_S:g} requests/s offered)", percentile(signed_paced, 99), "ms",
               goal="<= 50 ms", lower_is_better=True),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
