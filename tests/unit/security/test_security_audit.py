from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from naltrack.domain.security.audit import AuditEntry, AuditEvent, calculate_hash, chain_entry, verify_chain

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        event = AuditEvent(at=T0 + timedelta(seconds=i), actor=f"u{i % 3}", clinic_id="c1", action="read",
                           category="labs", record_id=f"r{i}", patient_id="p1", source="127.0.0.1")
        entries.append(chain_entry(event, entries[-1] if entries else None))
    return entries


def test_an_untouched_chain_verifies() -> None:
    report = verify_chain(build(5), head=(5, build(5)[-1].hash))
    assert report.intact and report.checked == 5
    assert report.describe() == "audit chain intact: 5 entries"


def test_a_changed_entry_is_named() -> None:
    entries = build(5)
    entries[2] = replace(entries[2], actor="mallory")
    report = verify_chain(entries)
    assert not report.intact and report.first_bad_seq == 3
    assert report.describe() == "audit chain broken at entry 3: its content was changed (hash mismatch)"


def test_a_rehashed_entry_breaks_the_next_link() -> None:
    entries = build(5)
    forged = replace(entries[2], actor="mallory")
    entries[2] = replace(forged, hash=calculate_hash(forged.prev_hash, forged, forged.seq))
    report = verify_chain(entries)
    assert report.first_bad_seq == 4 and "link" in (report.reason or "")


def test_a_deleted_entry_is_named() -> None:
    entries = build(5)
    del entries[1]
    report = verify_chain(entries)
    assert report.first_bad_seq == 2 and report.reason == "entry 2 is missing (next is 3)"


def test_a_deleted_tail_is_caught_by_the_head() -> None:
    entries = build(5)
    report = verify_chain(entries[:4], head=(5, entries[-1].hash))
    assert not report.intact and report.first_bad_seq == 5


def test_hash_ignores_timezone_of_the_timestamp() -> None:
    event = build(1)[0]
    shifted = replace(event, at=event.at.astimezone(datetime(2026, 1, 1).astimezone().tzinfo))
    assert calculate_hash(event.prev_hash, shifted, 1) == event.hash


@given(st.integers(min_value=1, max_value=12), st.data())
def test_any_single_change_is_detected_at_or_before_it(n: int, data: st.DataObject) -> None:
    entries = build(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    field = data.draw(st.sampled_from(["actor", "record_id", "outcome", "purpose", "source"]))
    value = {"outcome": "denied"}.get(field, "tampered")
    entries[i] = replace(entries[i], **{field: value})
    report = verify_chain(entries)
    assert not report.intact and report.first_bad_seq == i + 1
