"""Server time of the web app's two busiest pages with 10,000 demo patients: the dashboard and
the patient chart.

The program is the synthetic demo (``naltrack demo``'s generator, seed 7, 10,000 patients in
3 clinics) in a SQLite file, built once and kept in ``build/bench/``. The app is the real one
(``create_app``) called in process through the ASGI interface, so the time is the server's:
routing, session check, the audited use case, the queries, the coverage simulation and the
template, without a network. A nurse of the largest clinic is signed in; the dashboard is
read 60 times, the chart of 60 patients with doses (one each, after one warm-up each page).

Baseline: ``GET /health`` (no work) through the same stack. Goal (issue 6): p95 at most 150 ms.
Beside the wall time, the process CPU time per request: on a shared machine the wall time
also counts the time other processes held the cores.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import Figure

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "bench"
SEED = 7
PASSWORD = "benchmark-nurse-pass"
ROUNDS = 60


def build_program(n_patients: int) -> Path:
    """The demo program's database, generated once per size."""
    from naltrack.bootstrap import Storage
    from naltrack.synthetic import load_program

    path = CACHE / f"web-{n_patients}-seed{SEED}.db"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        storage = Storage(f"sqlite:///{partial}")
        load_program(storage.uow, n_patients=n_patients, seed=SEED, end=datetime.now(UTC).date())
        storage.close()
        partial.rename(path)
    return path


def _client(app: Any) -> Any:
    with warnings.catch_warnings():  # starlette asks for httpx2; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    return TestClient(app, base_url="http://127.0.0.1")


def _largest_clinic(app: Any) -> str:
    import sqlalchemy as sa

    query = sa.text("SELECT clinic_id FROM patients GROUP BY clinic_id ORDER BY count(*) DESC, clinic_id LIMIT 1")
    with app.state.storage.engine.connect() as connection:
        return str(connection.execute(query).scalar_one())


def _chart_patients(app: Any, clinic_id: str, n: int) -> list[str]:
    import sqlalchemy as sa

    query = sa.text("SELECT DISTINCT i.patient_id FROM injections i JOIN patients p ON p.id = i.patient_id "
                    "WHERE p.clinic_id = :c ORDER BY i.patient_id")
    with app.state.storage.engine.connect() as connection:
        ids = [row[0] for row in connection.execute(query, {"c": clinic_id})]
    return random.Random(SEED).sample(ids, min(n, len(ids)))


def _times_ms(client: Any, paths: list[str], cpu: list[float] | None = None) -> list[float]:
    """Wall time of each request; ``cpu`` gets the process CPU time of each (server and client threads)."""
    times = []
    for path in paths:
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000.0)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000.0)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def measure(n_patients: int, rounds: int) -> dict[str, list[float]]:
    from naltrack.api.app import create_app
    from naltrack.config import Settings
    from naltrack.services.security import add_user

    source = build_program(n_patients)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "web.db"
        shutil.copyfile(source, db)
        app = create_app(Settings(data_dir=Path(folder), database_url=f"sqlite:///{db}", secret_key="bench"))
        clinic = _largest_clinic(app)
        add_user(app.state.secure_uow, "bench.nurse", PASSWORD, "nurse", clinic, datetime.now(UTC))
        client = _client(app)
        client.post("/sign-in", data={"username": "bench.nurse", "password": PASSWORD})
        charts = [f"/patients/{pid}" for pid in _chart_patients(app, clinic, rounds + 1)]
        _times_ms(client, ["/", charts[0], "/health"])  # warm-up: templates, numba, caches
        dashboard_cpu: list[float] = []
        chart_cpu: list[float] = []
        inductions_cpu: list[float] = []
        _times_ms(client, ["/dashboard/inductions"])
        result = {"dashboard": _times_ms(client, ["/"] * rounds, dashboard_cpu),
                  "chart": _times_ms(client, charts[1:], chart_cpu),
                  "inductions": _times_ms(client, ["/dashboard/inductions"] * (rounds // 2), inductions_cpu),
                  "inductions_cpu": inductions_cpu,
                  "health": _times_ms(client, ["/health"] * rounds),
                  "dashboard_cpu": dashboard_cpu, "chart_cpu": chart_cpu}
        app.state.storage.close()
    return result


def run(quick: bool = False) -> list[Figure]:
    n_patients, rounds = (500, 10) if quick else (10_000, ROUNDS)
    times = measure(n_patients, rounds)
    health = p95(times["health"])
    figures = []
    for page in ("dashboard", "chart", "inductions"):
        figures.append(Figure(f"{page} p50 ({n_patients:,} patients)", statistics.median(times[page]), "ms",
                              lower_is_better=True))
        figures.append(Figure(f"{page} p95 ({n_patients:,} patients)", p95(times[page]), "ms",
                              "GET /health p95", health, goal="p95 <= 150 ms"))
        figures.append(Figure(f"{page} p95 CPU time of the process per request", p95(times[f"{page}_cpu"]), "ms"))
    return figures
