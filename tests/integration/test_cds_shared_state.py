"""The CDS Hooks service's memory between calls is the service's, not one process's, on SQLite and PostgreSQL.

Two ``naltrack serve`` processes on one database (what one server with two workers is): a signed call
replayed to the other process is refused, feedback sent to the process that did not issue the card is still
audited with the card's patient, and the feedback limit counts the calls of both. Then the store itself
(:class:`~naltrack.services.cds_state.CdsCallState`), in memory and in the database, at its boundaries: a
token until its expiry, a window of 59 vs 60 seconds, a card remembered for 7 days and not a second more,
concurrent claims of one token, and the purge of what has expired.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from tests.integration.test_cds_hooks import OXYCODONE, PID, Ehr, bundle, draft, order_request
from tests.integration.test_cds_part2 import add_patient, ehr_patient
from tests.integration.test_health_api import serving

from naltrack.adapters.db import cds_state as sql_state
from naltrack.adapters.db.cds_tables import cds_call_windows, cds_issued_cards, cds_used_tokens
from naltrack.bootstrap import Storage
from naltrack.cds.wiring import StoredCallState
from naltrack.domain.security.consent import Consent
from naltrack.services.cds_state import CARD_MEMORY, CdsCallState, IssuedCard, ProcessCdsState

AUDIENCE = "https://naltrack.example.org/cds-services"
SERVICE = "/cds-services/opioid-order-on-naltrexone"
PER_MINUTE = 4
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CARD = IssuedCard("opioid-order-on-naltrexone", "IX-OPIOID", "ehr-p1", "critical", "https://ehr.example.org", PID)


def _signed(ehr: Ehr, path: str = SERVICE) -> dict[str, str]:
    """A token for ``path`` under the shared audience, so the same token is valid on both processes."""
    now = int(time.time())
    claims = {"iss": ehr.iss, "aud": AUDIENCE + path.removeprefix("/cds-services"), "exp": now + 300,
              "iat": now, "jti": str(uuid.uuid4())}
    return {"Authorization": "Bearer " + jwt.encode(claims, ehr.key, algorithm="ES384", headers={"kid": "ehr-1"})}


def _order() -> dict[str, Any]:
    return order_request("order-sign", [draft(*OXYCODONE)], {
        "patient": ehr_patient(), "medicationRequests": bundle(), "medicationAdministrations": bundle(),
        "medicationStatements": bundle()})


def _outcome(card: str) -> dict[str, Any]:
    return {"feedback": [{"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-06-01T12:00:00Z",
                          "overrideReason": {"reason": {"code": "monitored-setting"}}}]}


@pytest.fixture()
def two_processes(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, Ehr, Storage]]:
    """Two ``naltrack serve`` processes on one database, trusting one EHR; PID consents to that EHR."""
    ehr = Ehr()
    storage = Storage(database_url)
    today = datetime.now(UTC).date()
    add_patient(storage, PID, "clinic-1", "H-4242", last_injection=today - timedelta(days=3))
    with storage.secure_uow() as uow:
        uow.security.add_consent(Consent(
            id="c1", patient_id=PID, recipient=ehr.iss, purpose="treatment",
            categories=("demographics", "diagnoses", "regimens", "administrations", "medications"),
            signed_on=today - timedelta(days=30), expires_on=today + timedelta(days=300)))
        uow.commit()
    env = {**os.environ, "NALTRACK_DATABASE_URL": database_url, "NALTRACK_DATA_DIR": str(tmp_path),
           "NALTRACK_WORKERS": "1", "NALTRACK_CDS_ISSUERS_JSON": json.dumps([ehr.entry()]),
           "NALTRACK_CDS_AUDIENCE": AUDIENCE, "NALTRACK_CDS_FEEDBACK_PER_MINUTE": str(PER_MINUTE)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with serving(env, tmp_path / "a") as a, serving(env, tmp_path / "b") as b:
        yield a, b, ehr, storage
    storage.close()


def test_two_server_processes_share_used_tokens_issued_cards_and_the_feedback_limit(
        two_processes: tuple[str, str, Ehr, Storage]) -> None:
    a, b, ehr, storage = two_processes
    token = _signed(ehr)
    first = httpx.post(a + SERVICE, json=_order(), headers=token, timeout=30)
    assert first.status_code == 200, first.text
    replayed_elsewhere = httpx.post(b + SERVICE, json=_order(), headers=token, timeout=30)
    replayed_here = httpx.post(a + SERVICE, json=_order(), headers=token, timeout=30)
    assert (replayed_elsewhere.status_code, replayed_here.status_code) == (401, 401)
    assert "was already used" in replayed_elsewhere.json()["detail"]

    card = first.json()["cards"][0]["uuid"]  # issued by a; its feedback goes to b
    answers = [httpx.post(url + SERVICE + "/feedback", json=_outcome(card),
                          headers=_signed(ehr, SERVICE + "/feedback"), timeout=30)
               for url in (b, a, b, a, b, a)]
    assert [r.status_code for r in answers] == [200] * PER_MINUTE + [429, 429]
    assert f"more than {PER_MINUTE} feedback calls a minute" in answers[-1].json()["detail"]
    with storage.secure_uow() as uow:
        entries = [e for e in uow.security.iter_audit() if e.action == "feedback"]
    assert [(e.record_id, e.patient_id, e.clinic_id) for e in entries] == [(card, PID, "clinic-1")] * PER_MINUTE


# The store at its boundaries, in memory and in the database ----------------------------------------------------

@pytest.fixture(params=["memory", "database"])
def state(request: pytest.FixtureRequest, database_url: str) -> Iterator[CdsCallState]:
    if request.param == "memory":
        yield ProcessCdsState()
        return
    storage = Storage(database_url)
    storage.ensure_schema()
    yield StoredCallState(storage.secure_uow)
    storage.close()


def test_a_token_is_a_replay_until_its_expiry_and_claimable_after(state: CdsCallState) -> None:
    until = T0 + timedelta(minutes=5)
    assert state.first_use("k", until, T0) is True
    assert state.first_use("k", until, T0 + timedelta(minutes=1)) is False
    assert state.first_use("k", until + timedelta(minutes=5), until) is False  # at its expiry: still used
    assert state.first_use("other", until, T0) is True
    assert state.first_use("k", until + timedelta(minutes=5), until + timedelta(microseconds=1)) is True
    assert state.first_use("k", until + timedelta(minutes=5), until + timedelta(seconds=1)) is False


def test_feedback_calls_are_counted_in_windows_of_a_minute(state: CdsCallState) -> None:
    assert state.count_call("ehr", T0) == (1, T0)
    assert state.count_call("ehr", T0 + timedelta(seconds=30)) == (2, T0)
    assert state.count_call("ehr", T0 + timedelta(seconds=59)) == (3, T0)
    assert state.count_call("other", T0 + timedelta(seconds=59)) == (1, T0 + timedelta(seconds=59))
    late = T0 + timedelta(seconds=60)
    assert state.count_call("ehr", late) == (1, late)  # the window ended: a new one starts with this call
    assert state.count_call("ehr", late + timedelta(seconds=1)) == (2, late)


def test_an_issued_card_is_remembered_for_seven_days_and_a_repeat_changes_nothing(state: CdsCallState) -> None:
    state.remember_cards([("card-1", CARD), ("card-2", CARD)], T0)
    state.remember_cards([("card-1", IssuedCard("s", "OTHER", "x", "info", "https://rogue.example"))], T0)
    assert state.issued_cards(["card-1", "card-9"], T0 + timedelta(minutes=2)) == {"card-1": CARD}
    assert state.issued_cards(["card-1", "card-2"], T0 + CARD_MEMORY) == {"card-1": CARD, "card-2": CARD}
    assert state.issued_cards(["card-1"], T0 + CARD_MEMORY + timedelta(seconds=1)) == {}
    assert state.issued_cards([], T0) == {}


def test_concurrent_claims_of_one_token_from_separate_engines_let_exactly_one_through(database_url: str) -> None:
    stores = [Storage(database_url) for _ in range(4)]
    for store in stores:
        store.ensure_schema()
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def claim(store: Storage) -> None:
        barrier.wait()
        results.append(StoredCallState(store.secure_uow).first_use("raced", T0 + timedelta(minutes=5), T0))

    threads = [threading.Thread(target=claim, args=(stores[n % 4],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * 7 + [True]
    for store in stores:
        store.close()


def test_what_has_expired_is_purged_by_a_later_write(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = Storage(database_url)
    storage.ensure_schema()
    state = StoredCallState(storage.secure_uow)
    state.first_use("old", T0 + timedelta(minutes=5), T0)
    state.count_call("old", T0)
    state.remember_cards([("old-card", CARD)], T0)
    monkeypatch.setattr(sql_state, "PURGE_EVERY", 1)
    later = T0 + CARD_MEMORY + timedelta(seconds=1)
    state.first_use("new", later + timedelta(minutes=5), later)

    def keys(table: sa.Table, column: Callable[[sa.Table], Any]) -> list[str]:
        with storage.engine.connect() as c:
            return sorted(c.execute(sa.select(column(table))).scalars())

    assert keys(cds_used_tokens, lambda t: t.c.key) == ["new"]
    assert keys(cds_call_windows, lambda t: t.c.key) == []
    assert keys(cds_issued_cards, lambda t: t.c.card_uuid) == []
    storage.close()
