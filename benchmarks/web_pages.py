"""Server time of the web app's two busiest pages with 10,000 demo patients (the dashboard and
the patient chart), the time to record an injection through the web form, and the bytes of a
chart's first load.

The program is the synthetic demo (``naltrack demo``'s generator, seed 7, 10,000 patients in
3 clinics) in a SQLite file, built once and kept in ``build/bench/``. The app is the real one
(``create_app``) called in process through the ASGI interface, so the time is the server's:
routing, session check, the audited use case, the queries, the coverage simulation and the
template, without a network. A nurse of the largest clinic is signed in; the dashboard is
read 60 times, the chart of 60 patients with doses (one each, after one warm-up each page).

Baseline: ``GET /health`` (no work) through the same stack. Goal (issue 6): p95 at most 150 ms.
Beside the wall time, the process CPU time per request: on a shared machine the wall time
also counts the time other processes held the cores.

Recording an injection: the nurse opens the injection form of 60 patients whose last injection
was 21 to 34 days ago (a continuation is due), ticks the pre-dose check's review items and posts
the form as a browser would (CSRF token and idempotency key from the form); the time is the POST's,
up to its redirect, over the recorded ones (a post the pre-dose check stops is counted apart).
Baseline: the chart's GET in the same run. Goal: p95 at most 150 ms.

First load of a chart: the chart's HTML and every CSS and JS file it loads, as a browser that
accepts ``gzip, deflate, br, zstd`` gets them with nothing cached (body bytes as sent). Baseline:
the same page uncompressed with the full ``plotly.min.js`` of the Python package, which the chart
loaded before. Goal: under 1.5 MB.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import Figure
from benchmarks._web_client import BROWSER_ENCODINGS, first_load_bytes, form_values

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "bench"
SEED = 7
PASSWORD = "benchmark-nurse-pass"
ROUNDS = 60
#: Days since the last injection of a patient whose continuation dose is due (q4w, a week either side).
DUE_DAYS = (21, 34)
KB = 1000.0
#: The audit log's key (kept outside the database); the benchmark's own unless one is set.
AUDIT_KEY = "web-pages-bench-audit-key-" + "w" * 24


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


def _due_patients(app: Any, clinic_id: str, now: datetime) -> list[str]:
    """Patients of the clinic whose last injection was :data:`DUE_DAYS` ago (SQLite keeps UTC as text)."""
    import sqlalchemy as sa

    low, high = (f"{now - timedelta(days=d):%Y-%m-%d %H:%M:%S.%f}" for d in reversed(DUE_DAYS))
    query = sa.text("SELECT i.patient_id FROM injections i JOIN patients p ON p.id = i.patient_id "
                    "WHERE p.clinic_id = :c AND i.status = 'active' GROUP BY i.patient_id "
                    "HAVING max(i.given_at) BETWEEN :low AND :high ORDER BY i.patient_id")
    with app.state.storage.engine.connect() as connection:
        ids = [row[0] for row in connection.execute(query, {"c": clinic_id, "low": low, "high": high})]
    return random.Random(SEED).sample(ids, len(ids))


def _injection_times(client: Any, patients: list[str], rounds: int, today: date,
                     cpu: list[float]) -> tuple[list[float], int]:
    """Wall time of each recorded injection's POST (up to ``rounds``), and how many the pre-dose check stopped."""
    times: list[float] = []
    stopped = 0
    for patient_id in patients:
        if len(times) == rounds:
            break
        path = f"/patients/{patient_id}/injections/new"
        values = form_values(client.get(path).text)
        fields = {**values, "lot": values.get("lot") or "BENCH-LOT", "needle_length_in": values.get(
            "needle_length_in") or "1.5", "expiry": values.get("expiry") or (today + timedelta(days=300)).isoformat()}
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.post(path, data=fields, follow_redirects=False)
        elapsed, elapsed_cpu = (time.perf_counter() - start) * 1000.0, (time.process_time() - start_cpu) * 1000.0
        if response.status_code == 409:
            stopped += 1
        elif response.status_code == 303:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
        else:
            raise RuntimeError(f"POST {path} answered {response.status_code}")
    return times, stopped


def _first_load(app: Any, client: Any, chart: str) -> dict[str, float]:
    """A chart's first load in bytes: compressed as a browser gets it, and the uncompressed baseline with the
    Python package's ``plotly.min.js`` in place of the file the chart loads now."""
    from naltrack.web.assets import find_python_plotly

    plotly = app.state.web.assets.plotly
    packed = first_load_bytes(client, chart, BROWSER_ENCODINGS)
    plain = first_load_bytes(client, chart, "identity")
    url = app.state.web.assets.plotly_url
    python_plotly = find_python_plotly()
    if url not in packed or python_plotly is None:
        raise RuntimeError(f"the chart {chart} loaded no Plotly, or the plotly package is missing")
    return {"total": sum(packed.values()), "html": packed[chart], "plotly": packed[url],
            "baseline": sum(plain.values()) - plain[url] + python_plotly.stat().st_size,
            "npm_plotly": float(len(plotly.body) != python_plotly.stat().st_size)}


@contextlib.contextmanager
def demo_app(n_patients: int) -> Iterator[Any]:
    """The app (``create_app``) over a copy of the demo program of ``n_patients``, closed afterwards."""
    from naltrack.api.app import create_app
    from naltrack.config import Settings

    os.environ.setdefault("NALTRACK_AUDIT_KEY", AUDIT_KEY)
    source = build_program(n_patients)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "web.db"
        shutil.copyfile(source, db)
        app = create_app(Settings(data_dir=Path(folder), database_url=f"sqlite:///{db}", secret_key="bench"))
        try:
            yield app
        finally:
            app.state.storage.close()


def measure(n_patients: int, rounds: int) -> dict[str, Any]:
    from naltrack.services.security import add_user

    with demo_app(n_patients) as app:
        clinic = _largest_clinic(app)
        add_user(app.state.secure_uow, "bench.nurse", PASSWORD, "nurse", clinic, datetime.now(UTC))
        client = _client(app)
        client.post("/sign-in", data={"username": "bench.nurse", "password": PASSWORD})
        charts = [f"/patients/{pid}" for pid in _chart_patients(app, clinic, rounds + 1)]
        _times_ms(client, ["/", charts[0], "/health"])  # warm-up: templates, numba, caches
        dashboard_cpu: list[float] = []
        chart_cpu: list[float] = []
        inductions_cpu: list[float] = []
        injection_cpu: list[float] = []
        _times_ms(client, ["/dashboard/inductions"])
        result: dict[str, Any] = {
            "dashboard": _times_ms(client, ["/"] * rounds, dashboard_cpu),
            "chart": _times_ms(client, charts[1:], chart_cpu),
            "inductions": _times_ms(client, ["/dashboard/inductions"] * (rounds // 2), inductions_cpu),
            "inductions_cpu": inductions_cpu,
            "health": _times_ms(client, ["/health"] * rounds),
            "dashboard_cpu": dashboard_cpu, "chart_cpu": chart_cpu, "first_load": _first_load(app, client, charts[0])}
        due = _due_patients(app, clinic, datetime.now(UTC))
        today = datetime.now(UTC).date()
        _injection_times(client, due[:1], 1, today, [])  # warm-up: the form's first post
        result["injection"], result["injection_stopped"] = _injection_times(client, due[1:], rounds, today,
                                                                            injection_cpu)
        result["injection_cpu"] = injection_cpu
    return result


def _page_figures(n_patients: int, times: dict[str, Any]) -> list[Figure]:
    health = p95(times["health"])
    figures = []
    for page in ("dashboard", "chart", "inductions"):
        figures.append(Figure(f"{page} p50 ({n_patients:,} patients)", statistics.median(times[page]), "ms",
                              lower_is_better=True))
        figures.append(Figure(f"{page} p95 ({n_patients:,} patients)", p95(times[page]), "ms",
                              "GET /health p95", health, goal="p95 <= 150 ms"))
        figures.append(Figure(f"{page} p95 CPU time of the process per request", p95(times[f"{page}_cpu"]), "ms"))
    return figures


def _record_figures(n_patients: int, times: dict[str, Any]) -> list[Figure]:
    posts, load = times["injection"], times["first_load"]
    plotly = "the npm basic bundle" if load["npm_plotly"] else "the Python package's plotly.min.js"
    return [
        Figure(f"record an injection, web form POST p50 ({n_patients:,} patients, {len(posts)} recorded)",
               statistics.median(posts), "ms", lower_is_better=True),
        Figure(f"record an injection, web form POST p95 ({n_patients:,} patients)", p95(posts), "ms",
               "GET chart p95", p95(times["chart"]), goal="p95 <= 150 ms"),
        Figure("record an injection p95 CPU time of the process per request", p95(times["injection_cpu"]), "ms"),
        Figure("injection posts the pre-dose check stopped (not timed)", times["injection_stopped"], "posts"),
        Figure("chart first load, bytes transferred (HTML + CSS + JS, gzip accepted)", load["total"] / KB, "kB",
               "same page uncompressed with the Python package's Plotly", load["baseline"] / KB,
               goal="< 1,500 kB", lower_is_better=True),
        Figure(f"  of which Plotly ({plotly}, as sent)", load["plotly"] / KB, "kB"),
        Figure("  of which the chart's HTML (pages are not compressed)", load["html"] / KB, "kB"),
    ]


def run(quick: bool = False) -> list[Figure]:
    n_patients, rounds = (500, 10) if quick else (10_000, ROUNDS)
    times = measure(n_patients, rounds)
    return _page_figures(n_patients, times) + _record_figures(n_patients, times)
