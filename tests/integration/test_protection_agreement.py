"""One end of protection and one next injection due, whichever face asks (docs/pk.md "End of protection").

Seeded demo programs (four clinics in four US zones) end on both 2026 daylight-saving changes and
on days around them. For every patient, on the clinic-local day of ``now``, the chart page's view,
the dashboard's read model, the REST API's alerts view and the CDS patient-view service show the
end of protection and the next XR-NTX injection due that :func:`naltrack.domain.protection.protection_end`
and :func:`naltrack.domain.due_dates.next_injection_due` give, and ``naltrack coverage`` (the CLI) reads
the same dates from each patient's exported FHIR bundle.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from naltrack.adapters.fhir.r4_export import as_bundle, export_chart
from naltrack.api.app import create_app
from naltrack.api.deps import now_utc
from naltrack.cds.auth import Caller, JwtVerifier
from naltrack.cds.engine import CDS_CATEGORIES, CdsEngine
from naltrack.cds.wiring import StoredCharts
from naltrack.cli.coverage import coverage
from naltrack.config import Settings
from naltrack.domain.due_dates import next_dose_due, next_dose_scheduled, next_injection_due
from naltrack.domain.patients import Clinic
from naltrack.domain.person_data import mrn_system
from naltrack.domain.protection import announces_protection_end, protection_end
from naltrack.domain.rules.thresholds import DEFAULT
from naltrack.domain.security.accounts import Actor, User
from naltrack.domain.security.consent import Consent
from naltrack.services import clinical_views
from naltrack.services import security as security_cases
from naltrack.services.context import AppContext
from naltrack.synthetic import load_program
from naltrack.web.chart_view import build_chart_view
from naltrack.web.coverage_view import coverage_view

with warnings.catch_warnings():  # starlette asks for httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "agreement nurse pass"
#: (seed, last day of the program): the spring-forward and fall-back days, and a day on either side.
PROGRAMS = ((7, date(2026, 3, 7)), (8, date(2026, 3, 8)), (9, date(2026, 3, 9)),
            (10, date(2026, 10, 31)), (11, date(2026, 11, 1)), (12, date(2026, 11, 2)))
PATIENTS_PER_PROGRAM = 40
DAY = r"(\d{4}-\d{2}-\d{2})"


@dataclass(frozen=True)
class Program:
    now: datetime
    clinics: list[Clinic]
    nurses: dict[str, tuple[User, str]]  # clinic id -> (user, bearer token)
    patients: dict[str, str]  # patient id -> clinic id


#: The EHR the CDS services answer; each patient's Part 2 consent names it (the decision: test_cds_hooks.py).
EHR = "https://ehr.example"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder: Path = tmp_path_factory.mktemp("agreement")
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'demo.db'}", secret_key="test-secret",
                        timezone="America/New_York")
    app = create_app(settings)
    programs = [_load(app, seed, end) for seed, end in PROGRAMS]
    yield app, programs, [_domain(app, p) for p in programs]
    app.state.storage.close()


def _load(app: Any, seed: int, end: date) -> Program:
    load_program(app.state.storage.uow, n_patients=PATIENTS_PER_PROGRAM, seed=seed, end=end)
    with app.state.storage.uow() as uow:
        clinics = [c for c in uow.clinics.list() if c.id.startswith(f"s{seed}-")]
        patients = {p.id: c.id for c in clinics for p in uow.patients.search(clinic_id=c.id, limit=1000)}
    nurses = {}
    for clinic in clinics:
        name = f"nurse.{clinic.id}"
        user = security_cases.add_user(app.state.secure_uow, name, PASSWORD, "nurse", clinic.id, datetime.now(UTC))
        token = security_cases.sign_in(app.state.secure_uow, security_cases.SignInThrottle(), name, PASSWORD,
                                       "testclient", datetime.now(UTC)).token
        nurses[clinic.id] = (user, token)
    # 20:00 UTC is the program's last day in every US zone.
    return Program(datetime.combine(end, time(20), tzinfo=UTC), clinics, nurses, patients)


@dataclass(frozen=True)
class Expected:
    today: date
    end: date | None
    due: date | None
    on_treatment: bool = False
    scheduled: bool = False


def _domain(app: Any, program: Program) -> dict[str, Expected]:
    """The domain's answers, per patient, from the chart and the clinic read in one audited access."""
    ctx = AppContext(uow=app.state.secure_uow)
    found = {}
    for pid, clinic_id in program.patients.items():
        read = clinical_views.patient_chart(ctx, Actor(program.nurses[clinic_id][0]), pid, program.now)
        found[pid] = Expected(read.today, protection_end(read.chart, read.today, read.zone),
                              next_injection_due(read.chart, read.today, read.zone),
                              bool(read.chart.active_regimens_on(read.today)),
                              next_dose_scheduled(read.chart, read.today, read.zone))
    return found


def test_the_programs_are_large_enough_and_cross_both_changes(demo: Any) -> None:
    _, programs, expected = demo
    assert sum(len(p.patients) for p in programs) >= 200
    zones = {c.timezone for p in programs for c in p.clinics}
    assert {"America/New_York", "America/Chicago", "America/Denver"} <= zones
    answers = [e for found in expected for e in found.values()]
    assert sum(e.end is not None for e in answers) >= 60
    assert sum(e.due is not None for e in answers) >= 20
    assert sum(e.end is not None and e.end >= e.today for e in answers) >= 20


def test_the_chart_page_shows_the_domains_dates(demo: Any) -> None:
    app, programs, expected_by_program = demo
    ctx = AppContext(uow=app.state.secure_uow)
    for program, expected in zip(programs, expected_by_program, strict=True):
        for pid, clinic_id in program.patients.items():
            read = clinical_views.patient_chart(ctx, Actor(program.nurses[clinic_id][0]), pid, program.now)
            view = build_chart_view(read.chart, "nurse", read.today, read.zone,
                                    coverage_view(read.chart, read.today, read.zone))
            shown_end = view.coverage.protection_ends_on if view.coverage is not None else None
            want = expected[pid]
            assert (read.today, view.next_injection_due) == (want.today, want.due), pid
            assert shown_end == (want.end if view.coverage is not None else None), pid


def test_the_chart_page_over_http_shows_the_domains_dates_on_the_clinics_today(demo: Any) -> None:
    """The page reads the wall clock: its today is the clinic's today of the real now."""
    app, programs, _ = demo
    program = programs[-1]
    clinic = program.clinics[0]
    client = TestClient(app, base_url="http://127.0.0.1")
    signed = client.post("/sign-in", data={"username": f"nurse.{clinic.id}", "password": PASSWORD},
                         follow_redirects=False)
    assert signed.status_code == 303
    ctx = AppContext(uow=app.state.secure_uow)
    shown = 0
    for pid in [p for p, c in program.patients.items() if c == clinic.id]:
        now = datetime.now(UTC)
        read = clinical_views.patient_chart(ctx, Actor(program.nurses[clinic.id][0]), pid, now)
        page = client.get(f"/patients/{pid}").text
        if read.today != datetime.now(UTC).astimezone(clinic.zone).date():
            continue  # midnight passed in the clinic between the two reads
        end = protection_end(read.chart, read.today, read.zone)
        due = next_injection_due(read.chart, read.today, read.zone)
        match = re.search(r'id="protection-end">([^<]*)<', page)
        if coverage_view(read.chart, read.today, read.zone) is None:
            assert match is None, pid  # never given naltrexone: no coverage shown
        else:
            assert match is not None and match.group(1) == (end.isoformat() if end else "—"), (pid, match)
            shown += end is not None
        assert (f'id="next-due">{due}<' in page) == (due is not None), pid
    assert shown >= 1


def test_the_dashboard_lists_the_domains_dates(demo: Any) -> None:
    app, programs, expected_by_program = demo
    compared = listed_total = 0
    for program, expected in zip(programs, expected_by_program, strict=True):
        for clinic in program.clinics:
            today = program.now.astimezone(clinic.zone).date()
            with app.state.secure_uow() as uow:
                board = uow.read_models.dashboard(clinic.id, today, clinic.zone, DEFAULT)
            for item in board.protection:
                assert item.protection_ends_on == expected[item.patient_id].end, item.patient_id
                compared += 1
            ending = {i.patient_id for i in board.protection}
            for pid, want in expected.items():  # and exactly the patients on treatment whose end is told
                if program.patients[pid] == clinic.id and want.on_treatment:
                    told = announces_protection_end(want.end, today, want.scheduled, DEFAULT)
                    assert (pid in ending) == told, pid
                    compared += 1
                    listed_total += told
            for item in (*board.due_today, *board.overdue):
                assert item.due_on == expected[item.patient_id].due, item.patient_id
                compared += 1
            listed = {i.patient_id for i in (*board.due_today, *board.overdue)}
            for pid, want in expected.items():
                window_opens = DEFAULT.injection_interval_days - DEFAULT.injection_due_window_days
                if program.patients[pid] == clinic.id and want.due is not None and \
                        (today - want.due).days + DEFAULT.injection_interval_days >= window_opens:
                    assert pid in listed, pid
    assert compared >= 40 and listed_total >= 2


def test_the_rest_alerts_view_gives_the_domains_dates(demo: Any) -> None:
    app, programs, expected_by_program = demo
    client = TestClient(app, base_url="http://127.0.0.1")
    try:
        for program, expected in zip(programs, expected_by_program, strict=True):
            app.dependency_overrides[now_utc] = lambda now=program.now: now
            for pid, clinic_id in program.patients.items():
                response = client.get(f"/api/v1/patients/{pid}/alerts",
                                      headers={"Authorization": f"Bearer {program.nurses[clinic_id][1]}"})
                assert response.status_code == 200, response.text
                body, want = response.json(), expected[pid]
                assert body["date"] == want.today.isoformat()
                assert body["protection_ends"] == (want.end.isoformat() if want.end else None), pid
                assert body["next_injection_due"] == (want.due.isoformat() if want.due else None), pid
                for alert in body["alerts"]:
                    if alert["rule"] == "MON-PROTECTION-END":
                        assert re.search(rf"(end(s|ed)? on|since) {want.end}\b", alert["message"]), alert
    finally:
        app.dependency_overrides.pop(now_utc, None)


def test_the_cds_patient_view_gives_the_domains_dates(demo: Any) -> None:
    app, programs, expected_by_program = demo
    for program, expected in zip(programs, expected_by_program, strict=True):
        engine = CdsEngine(verifier=JwtVerifier({}), local=StoredCharts(app.state.secure_uow),
                           clock=lambda now=program.now: now, timezone="UTC")
        with app.state.secure_uow() as uow:
            for pid in program.patients:
                uow.security.add_consent(Consent(
                    id=f"cds-{pid}", patient_id=pid, recipient=EHR, purpose="treatment", categories=CDS_CATEGORIES,
                    signed_on=date(2020, 1, 1), expires_on=date(2030, 12, 31)))
            uow.commit()
        for pid, clinic_id in program.patients.items():
            summaries = [c["summary"] for c in asyncio.run(_patient_view(engine, app, pid, clinic_id))["cards"]]
            _check_cards(pid, summaries, expected[pid])


async def _patient_view(engine: CdsEngine, app: Any, pid: str, clinic_id: str) -> dict[str, Any]:
    # The EHR's Patient holds the clinic's MRN, name and birth date: the service links it to naltrack's
    # patient and answers from naltrack's own chart (the EHR sends no records).
    with app.state.secure_uow() as uow:
        patient = uow.patients.get(pid)
    ehr_patient = {"resourceType": "Patient", "id": f"ehr-{pid}", "birthDate": patient.birth_date.isoformat(),
                   "name": [{"family": patient.family_name, "given": [patient.given_name]}],
                   "identifier": [{"system": mrn_system(clinic_id), "value": patient.mrn}]}
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": {"patientId": f"ehr-{pid}"},
            "prefetch": {"patient": ehr_patient}}
    caller = Caller(EHR, "EHR", clinic_id)
    return await engine.answer("naltrexone-patient-view", json.dumps(body).encode(), caller)


def _check_cards(pid: str, summaries: list[str], want: Expected) -> None:
    ends = [m for s in summaries for m in re.findall(rf"(?:until about|protection ends about|lapsed) {DAY}", s)]
    dues = [m for s in summaries for m in re.findall(rf"injection due {DAY}", s)]
    if want.end is not None and (want.end >= want.today
                                 or (want.today - want.end).days <= DEFAULT.lapse_window_days):
        assert ends == [want.end.isoformat()], (pid, summaries)
    else:
        assert ends == [], (pid, summaries)
    if dues:
        assert dues == [want.due.isoformat() if want.due else None], (pid, summaries)
    elif want.due is not None and want.end is not None and want.end >= want.today:
        assert not any("XR-naltrexone" in s for s in summaries), (pid, summaries)


def test_the_cli_reads_the_domains_dates_from_each_patients_fhir_bundle(demo: Any,
                                                                        tmp_path: Path) -> None:
    """``naltrack coverage BUNDLE --on DAY --timezone ZONE``: the patient's record exported as FHIR R4
    and read back gives the same blocked-through day and next dose due as the stored chart."""
    app, programs, expected_by_program = demo
    ctx = AppContext(uow=app.state.secure_uow)
    runner = CliRunner()
    compared = 0
    for program, expected in zip(programs, expected_by_program, strict=True):
        for pid, clinic_id in program.patients.items():
            read = clinical_views.patient_chart(ctx, Actor(program.nurses[clinic_id][0]), pid, program.now)
            bundle = tmp_path / f"{pid}.json"
            bundle.write_text(json.dumps(as_bundle(export_chart(read.chart, provenance=False, validate=False))))
            result = runner.invoke(coverage, [str(bundle), "--on", read.today.isoformat(), "--timezone",
                                              str(read.zone), "--format", "json"])
            assert result.exit_code == 0, (pid, result.output)
            shown, want = json.loads(result.output), expected[pid]
            blocked_through = want.end.isoformat() if want.end is not None and want.end >= want.today else None
            assert shown["blocked_through"] == blocked_through, pid
            due = next_dose_due(read.chart, read.today, read.zone)
            assert shown["next_dose_due"] == (due.isoformat() if due else None), pid
            if want.due is not None:
                assert shown["next_dose_due"] == want.due.isoformat(), pid
                compared += 1
    assert compared >= 20
