"""Server time of the program manager's outcomes page and of each program measure, on the 10,000-patient demo.

The program is the synthetic demo of :mod:`benchmarks.web_pages` (seed 7, 10,000 patients in 3 clinics, a
SQLite file kept in ``build/bench/``). The page is the real app (``create_app``) called in process through
the ASGI interface, so the time is the server's: routing, session check, the audited use case (the courses
of every patient read set-based, the measures, the report rows) and the template, without a network. A
manager is signed in and reads the page of the whole program and of the largest clinic, and the POD and IET
card the page loads after itself (``GET /outcomes/quality``: two more reads of the program).

Each ``naltrack measure ... --from-program`` measure (retention, cascade, POD, IET, dispensing rows) is timed
as the CLI runs it minus the process start: ``services.outcomes.program_measure`` in process, for the whole
program. Baseline: ``GET /health`` (no work) through the same stack, in the same run. Goal (issue 15): p95
under 1 s. Beside the wall time, the process CPU time per request: on a shared machine the wall time also
counts the time other processes held the cores.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks import Figure
from benchmarks.web_pages import _client, _largest_clinic, demo_app, p95

PASSWORD = "benchmark-manager-pass"
ROUNDS = 20
MEASURES = ("retention", "cascade", "pod", "iet", "dispensing")


def _timed(call: Callable[[], Any], rounds: int) -> tuple[list[float], list[float]]:
    """Wall and process CPU time of ``rounds`` calls, in ms."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - start_cpu) * 1000.0)
    return wall, cpu


def _get(client: Any, path: str) -> Callable[[], None]:
    def call() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")

    return call


def measure(n_patients: int, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    from naltrack.domain.security.accounts import Actor
    from naltrack.services.outcomes import OutcomeQuery, program_measure
    from naltrack.services.security import add_user

    with demo_app(n_patients) as app:
        clinic = _largest_clinic(app)
        manager = add_user(app.state.secure_uow, "bench.manager", PASSWORD, "manager", clinic, datetime.now(UTC))
        client = _client(app)
        client.post("/sign-in", data={"username": "bench.manager", "password": PASSWORD})
        pages = {"page": "/outcomes", "page_clinic": f"/outcomes?clinic={clinic}", "quality": "/outcomes/quality"}
        for path in (*pages.values(), "/health"):  # warm-up: templates, imports, caches
            _get(client, path)()
        result = {name: _timed(_get(client, path), rounds) for name, path in pages.items()}
        result["health"] = _timed(_get(client, "/health"), rounds * 3)
        ctx, actor = app.state.application.ctx, Actor(user=manager, source="benchmark")
        for name in MEASURES:
            def call(name: str = name) -> None:
                program_measure(ctx, actor, name, OutcomeQuery(), datetime.now(UTC))  # type: ignore[arg-type]

            call()
            result[name] = _timed(call, rounds)
    return result


def run(quick: bool = False) -> list[Figure]:
    n_patients, rounds = (500, 5) if quick else (10_000, ROUNDS)
    times = measure(n_patients, rounds)
    health = p95(times["health"][0])
    labels = {"page": "GET /outcomes, whole program", "page_clinic": "GET /outcomes?clinic=<largest clinic>",
              "quality": "GET /outcomes/quality (POD and IET card), whole program"}
    labels |= {name: f"measure {name} --from-program (in process)" for name in MEASURES}
    figures = []
    for key, label in labels.items():
        wall, cpu = times[key]
        figures += [
            Figure(f"{label} p50 ({n_patients:,} patients)", statistics.median(wall), "ms", lower_is_better=True),
            Figure(f"{label} p95 ({n_patients:,} patients)", p95(wall), "ms", "GET /health p95", health,
                   goal="p95 < 1,000 ms"),
            Figure(f"{label} p95 CPU time of the process", p95(cpu), "ms"),
        ]
    return figures
