"""Server time of the program manager's outcomes page and of each program measure, on the 10,000-patient demo.

The program is the synthetic demo of :mod:`benchmarks.web_pages` (seed 7, 10,000 patients in 3 clinics, a
SQLite file kept in ``build/bench/``). The page is the real app (``create_app``) called in process through
the ASGI interface, so the time is the server's: routing, session check, the audited use case (the courses
of every patient read set-based, the measures, the report rows) and the template, without a network. A
manager is signed in and reads the page of the whole program and of the largest clinic, and the POD and IET
card the page loads after itself (``GET /outcomes/quality``: two more reads of the program).

Each ``naltrack measure ... --from-program`` measure (retention, cascade, POD, IET, dispensing rows) is timed
as the CLI runs it minus the process start: ``services.outcomes.program_measure`` in process, for the whole
program.

The read models keep the program's courses between reads and re-read only the patients written since
(``adapters/db/read_models/course_cache.py``). So every timed request follows a write: before each, a nurse
records a urine screen of a patient of the largest clinic through the audited use case (not timed), as a
clinic does all day; the request then re-reads that patient. The first read of the day (every course read,
as after a restart or at midnight) is timed apart, three times, with the kept courses dropped before each.
Baseline: ``GET /health`` (no work) through the same stack, in the same run. Goal (issue 15): p95 under
1 s. Beside the wall time, the process CPU time per request: on a shared machine the wall time also counts
the time other processes held the cores.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks import Figure
from benchmarks.web_pages import _chart_patients, _client, _largest_clinic, demo_app, p95

PASSWORD = "benchmark-manager-pass"
ROUNDS = 20
MEASURES = ("retention", "cascade", "pod", "iet", "dispensing")


def _timed(call: Callable[[], Any], rounds: int, before: Callable[[], Any] = lambda: None
           ) -> tuple[list[float], list[float]]:
    """Wall and process CPU time of ``rounds`` calls, in ms, each after ``before`` (not timed)."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        before()
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


def _screens(app: Any, clinic: str, nurse: Any) -> Callable[[], None]:
    """A write as the clinic makes them: a urine screen of the next of the clinic's patients, through the
    audited use case (each call one patient written)."""
    from naltrack.domain.observations import AnalyteResult, UrineDrugScreen
    from naltrack.services.records import create_records

    ctx = app.state.application.ctx
    patients = iter(_chart_patients(app, clinic, 4 * ROUNDS * (len(MEASURES) + 4)))

    def write() -> None:
        now = datetime.now(UTC)
        pid = next(patients)
        screen = UrineDrugScreen(id=f"bench-{pid}-{now.timestamp()}", patient_id=pid, collected_at=now,
                                 results=(AnalyteResult("opiates", "negative"), AnalyteResult("fentanyl", "negative")))
        create_records(ctx, nurse, [screen], now)

    return write


def measure(n_patients: int, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    from naltrack.adapters.db.read_models.course_cache import course_cache
    from naltrack.domain.security.accounts import Actor
    from naltrack.services.outcomes import OutcomeQuery, program_measure
    from naltrack.services.security import add_user

    with demo_app(n_patients) as app:
        clinic = _largest_clinic(app)
        now = datetime.now(UTC)
        manager = add_user(app.state.secure_uow, "bench.manager", PASSWORD, "manager", clinic, now)
        nurse = Actor(add_user(app.state.secure_uow, "bench.nurse", PASSWORD, "nurse", clinic, now), "benchmark")
        write, kept = _screens(app, clinic, nurse), course_cache(app.state.storage.engine)
        client = _client(app)
        client.post("/sign-in", data={"username": "bench.manager", "password": PASSWORD})
        pages = {"page": "/outcomes", "page_clinic": f"/outcomes?clinic={clinic}", "quality": "/outcomes/quality"}
        for path in (*pages.values(), "/health"):  # warm-up: templates, imports, caches
            _get(client, path)()
        result = {"first_read": _timed(_get(client, "/outcomes"), 3, kept.clear)}
        result |= {name: _timed(_get(client, path), rounds, write) for name, path in pages.items()}
        result["health"] = _timed(_get(client, "/health"), rounds * 3)
        ctx, actor = app.state.application.ctx, Actor(user=manager, source="benchmark")
        for name in MEASURES:
            def call(name: str = name) -> None:
                program_measure(ctx, actor, name, OutcomeQuery(), datetime.now(UTC))  # type: ignore[arg-type]

            call()
            result[name] = _timed(call, rounds, write)
        result["reads"] = ([float(kept.reads[k]) for k in ("all", "patients", "kept")], [])
    return result


def run(quick: bool = False) -> list[Figure]:
    n_patients, rounds = (500, 5) if quick else (10_000, ROUNDS)
    times = measure(n_patients, rounds)
    health = p95(times["health"][0])
    labels = {"first_read": "GET /outcomes, whole program, first read of the day (every course read)",
              "page": "GET /outcomes, whole program", "page_clinic": "GET /outcomes?clinic=<largest clinic>",
              "quality": "GET /outcomes/quality (POD and IET card), whole program"}
    labels |= {name: f"measure {name} --from-program (in process)" for name in MEASURES}
    figures = []
    for key, label in labels.items():
        wall, cpu = times[key]
        if key == "first_read":
            figures.append(Figure(f"{label}, slowest of 3 ({n_patients:,} patients)", max(wall), "ms",
                                  "GET /health p95", health))
            continue
        figures += [
            Figure(f"{label} p50 ({n_patients:,} patients)", statistics.median(wall), "ms", lower_is_better=True),
            Figure(f"{label} p95 ({n_patients:,} patients)", p95(wall), "ms", "GET /health p95", health,
                   goal="p95 < 1,000 ms"),
            Figure(f"{label} p95 CPU time of the process", p95(cpu), "ms"),
        ]
    every, some, unchanged = times["reads"][0]
    figures += [Figure("course reads of every course (the first reads of the day)", every, "reads"),
                Figure("course reads re-reading only the patients written since", some, "reads"),
                Figure("course reads answered with the kept courses (nothing written since)", unchanged, "reads")]
    return figures
