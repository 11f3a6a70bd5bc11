"""Naloxone challenges as recorded, on SQLite and PostgreSQL: equivocal, and passed with signs noted,
come back as written so that readiness reads them as failed (clinical.md §2.2)."""

from __future__ import annotations

import pytest
from tests.factories import DAY, at, make_chart, make_clinic, make_patient
from tests.seeding import value_after_upgrade

from naltrack.bootstrap import Storage
from naltrack.domain.observations import NaloxoneChallenge
from naltrack.domain.rules.readiness import assess_readiness


def challenge(rid: str, **fields: object) -> NaloxoneChallenge:
    return NaloxoneChallenge(id=rid, patient_id=make_patient().id, performed_at=at(DAY), route="sc",
                             **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "recorded",
    [challenge("nc-eq", passed=False, equivocal=True), challenge("nc-signs", passed=True, signs=("lacrimation",)),
     challenge("nc-clean", passed=True)],
)
def test_a_challenge_round_trips_and_keeps_its_verdict(storage: Storage, recorded: NaloxoneChallenge) -> None:
    with storage.uow() as uow:
        uow.clinics.add(make_clinic())
        uow.patients.add(make_patient())
        uow.records.add(recorded)
        uow.commit()
    with storage.uow() as uow:
        stored = uow.records.find(NaloxoneChallenge, recorded.id)
    assert stored == recorded
    assert stored is not None and (stored.result, stored.shows_withdrawal) == (
        recorded.result, recorded.result != "passed" or bool(recorded.signs))
    verdict = assess_readiness(make_chart(naloxone_challenges=(stored,)), "xr-ntx", DAY).verdict
    assert verdict == ("ready" if recorded.id == "nc-clean" else "not-ready")


def test_challenges_stored_before_the_equivocal_column_read_as_not_equivocal(empty_database_url: str) -> None:
    equivocal = value_after_upgrade(
        empty_database_url, "0004_alert_acknowledgements",
        "INSERT INTO naloxone_challenges (id, patient_id, status, version, performed_at, route, passed, signs) "
        "VALUES ('n1', 'p1', 'active', 1, '2026-03-10 09:00:00', 'sc', :passed, '[]')",
        "SELECT equivocal FROM naloxone_challenges", {"passed": True})
    assert equivocal in (False, 0)
