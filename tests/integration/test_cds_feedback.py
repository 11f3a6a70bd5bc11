"""CDS Hooks card feedback in the whole app over real HTTP, on SQLite and PostgreSQL: authenticated like the
services, limited per caller, in body size and in outcomes per call, time-stamped by the server, audited
under the calling EHR's clinic; ``/health`` keeps answering while feedback is written.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.test_cds_hooks import OXYCODONE, PID, Ehr, LiveServer, bundle, draft, order_request
from tests.integration.test_cds_part2 import add_patient, ehr_patient
from tests.integration.test_health_api import serving

from naltrack.api.app import create_app
from naltrack.bootstrap import Storage
from naltrack.config import Settings
from naltrack.domain.security.consent import Consent

SERVICE = "/cds-services/opioid-order-on-naltrexone"
FEEDBACK = SERVICE + "/feedback"
PER_MINUTE = 8
MAX_ITEMS = 50


class App:
    """The whole app trusting one EHR (``clinic-1``), with PID linked by its MRN and consenting to it."""

    def __init__(self, url: str, storage: Storage, ehr: Ehr) -> None:
        self.url, self.storage, self.ehr = url, storage, ehr

    def post(self, path: str, body: Any, *, signed: bool = True, timeout: float = 30) -> httpx.Response:
        headers = self.ehr.headers(self.url + path) if signed else {}
        if isinstance(body, bytes):
            return httpx.post(self.url + path, content=body, headers={**headers, "content-type": "application/json"},
                              timeout=timeout)
        return httpx.post(self.url + path, json=body, headers=headers, timeout=timeout)

    def feedback_entries(self) -> list[Any]:
        with self.storage.secure_uow() as uow:
            return [e for e in uow.security.iter_audit() if e.action == "feedback"]


@pytest.fixture()
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> Iterator[App]:
    ehr = Ehr()
    env = {"NALTRACK_CDS_ISSUERS_JSON": json.dumps([ehr.entry()]), "NALTRACK_CDS_FEEDBACK_PER_MINUTE": PER_MINUTE,
           "NALTRACK_CDS_FEEDBACK_MAX_ITEMS": MAX_ITEMS, "NALTRACK_CDS_FEEDBACK_MAX_BODY_BYTES": 20_000,
           **getattr(request, "param", {})}
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    served = create_app(Settings(data_dir=tmp_path, database_url=database_url, timezone="UTC"))
    storage: Storage = served.state.storage
    add_patient(storage, PID, "clinic-1", "H-4242", last_injection=datetime.now(UTC).date() - timedelta(days=3))
    with storage.secure_uow() as uow:
        uow.security.add_consent(Consent(
            id="c1", patient_id=PID, recipient=ehr.iss, purpose="treatment",
            categories=("demographics", "diagnoses", "regimens", "administrations", "medications"),
            signed_on=datetime.now(UTC).date() - timedelta(days=30),
            expires_on=datetime.now(UTC).date() + timedelta(days=300)))
        uow.commit()
    with LiveServer(served) as url:
        yield App(url, storage, ehr)
    storage.close()


def _card(app: App) -> dict[str, Any]:
    """A critical card about PID, drawn from naltrack's records (an XR-NTX injection three days ago)."""
    body = order_request("order-sign", [draft(*OXYCODONE)], {
        "patient": ehr_patient(), "medicationRequests": bundle(), "medicationAdministrations": bundle(),
        "medicationStatements": bundle()})
    response = app.post(SERVICE, body)
    assert response.status_code == 200, response.text
    card: dict[str, Any] = response.json()["cards"][0]
    return card


def _outcomes(card: str, n: int, when: str = "1999-01-01T00:00:00Z") -> dict[str, Any]:
    return {"feedback": [{"card": card, "outcome": "overridden", "outcomeTimestamp": when,
                          "overrideReason": {"reason": {"code": "monitored-setting"}}} for _ in range(n)]}


def test_feedback_is_audited_under_the_callers_clinic_with_the_servers_time(app: App) -> None:
    card = _card(app)
    before = datetime.now(UTC)
    response = app.post(FEEDBACK, _outcomes(card["uuid"], 2))
    after = datetime.now(UTC)
    assert response.json() == {"recorded": 2}
    entries = app.feedback_entries()
    assert [(e.clinic_id, e.patient_id, e.record_id, e.actor) for e in entries] == [
        ("clinic-1", PID, card["uuid"], "cds:County Hospital EHR")] * 2
    assert all(before <= e.at <= after for e in entries)
    assert entries[0].detail == (f"card {card['uuid']} overridden (monitored-setting); "
                                 "reported at 1999-01-01T00:00:00+00:00")


def test_feedback_on_a_card_not_issued_to_this_caller_names_no_patient(app: App) -> None:
    assert app.post(FEEDBACK, _outcomes("00000000-0000-0000-0000-000000000000", 1)).status_code == 200
    assert [(e.clinic_id, e.patient_id) for e in app.feedback_entries()] == [("clinic-1", None)]


def test_unsigned_feedback_is_401_and_writes_nothing(app: App) -> None:
    response = app.post(FEEDBACK, _outcomes("card-1", 1), signed=False)
    assert response.status_code == 401 and response.json()["path"] == "Authorization"
    assert app.feedback_entries() == []


@pytest.mark.parametrize("app", [{"NALTRACK_CDS_ANONYMOUS": "allow"}], indirect=True)
def test_anonymous_feedback_when_allowed_is_accepted_but_audits_no_clinic(app: App) -> None:
    assert app.post(FEEDBACK, _outcomes("card-1", 3), signed=False).json() == {"recorded": 3}
    assert app.feedback_entries() == []


def test_over_the_item_cap_is_400_and_over_the_body_limit_is_413_and_nothing_is_written(app: App) -> None:
    assert app.post(FEEDBACK, _outcomes("card-1", MAX_ITEMS)).json() == {"recorded": MAX_ITEMS}
    over = app.post(FEEDBACK, _outcomes("card-1", MAX_ITEMS + 1))
    assert over.status_code == 400 and over.headers["content-type"].startswith("application/problem+json")
    assert over.json()["detail"] == f"feedback: has {MAX_ITEMS + 1} items; at most {MAX_ITEMS} per call"
    huge = app.post(FEEDBACK, json.dumps(_outcomes("card-1", 10_000)).encode())  # the 879 KB call of the report
    assert huge.status_code == 413 and huge.json()["path"] == "(body)"
    assert len(app.feedback_entries()) == MAX_ITEMS


def test_more_calls_a_minute_than_allowed_get_429_with_retry_after(app: App) -> None:
    answers = [app.post(FEEDBACK, _outcomes("card-1", 1)) for _ in range(PER_MINUTE + 2)]
    assert [a.status_code for a in answers] == [200] * PER_MINUTE + [429, 429]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 61
    assert "more than 8 feedback calls a minute" in answers[-1].json()["detail"]
    assert len(app.feedback_entries()) == PER_MINUTE


@pytest.fixture()
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Ehr]]:
    """``naltrack serve`` in a process of its own (one worker), trusting one EHR, no feedback rate limit."""
    ehr = Ehr()
    env = {**os.environ, "NALTRACK_DATABASE_URL": database_url, "NALTRACK_DATA_DIR": str(tmp_path),
           "NALTRACK_WORKERS": "1", "NALTRACK_CDS_ISSUERS_JSON": json.dumps([ehr.entry()]),
           "NALTRACK_CDS_FEEDBACK_PER_MINUTE": "100000", "NALTRACK_CDS_FEEDBACK_MAX_ITEMS": str(MAX_ITEMS)}
    with serving(env, tmp_path) as base:
        yield base, ehr


def _health_times(base: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        assert httpx.get(base + "/health", timeout=10).status_code == 200
        times.append(time.perf_counter() - started)
        time.sleep(0.05)
    return times


def test_health_keeps_answering_while_feedback_at_the_cap_is_written(served: tuple[str, Ehr]) -> None:
    """Two clients post feedback at the item cap back to back to ``naltrack serve``; /health is timed
    meanwhile (the report saw every /health stall 2.6 s behind one 10,000-entry call). Bounds, robust on a
    loaded machine: at most 2 of 20 answers slower than 1 s (or three times the slowest before the load),
    and the median under 0.25 s (or five times the median before)."""
    base, ehr = served
    stop = threading.Event()
    written: list[int] = []

    def flood() -> None:
        while not stop.is_set():
            url = base + FEEDBACK
            written.append(httpx.post(url, json=_outcomes("card-1", MAX_ITEMS), headers=ehr.headers(url),
                                      timeout=30).status_code)

    for _ in range(2):  # warm: the first audit entries, the thread pool
        assert httpx.post(base + FEEDBACK, json=_outcomes("card-1", MAX_ITEMS), headers=ehr.headers(base + FEEDBACK),
                          timeout=30).status_code == 200
    before = _health_times(base, 10)
    threads = [threading.Thread(target=flood) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        during = _health_times(base, 20)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert len(written) >= 4 and set(written) == {200}
    slow = max(1.0, 3 * max(before))
    assert sum(t > slow for t in during) <= 2, (during, before)
    assert statistics.median(during) < max(0.25, 5 * statistics.median(before)), (during, before)
