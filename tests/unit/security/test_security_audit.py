from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEvent,
    ChainReport,
    calculate_hash,
    chain_after,
    chain_entry,
    derive_key,
    seal,
    verify_chain,
)
from naltrack.domain.security.audit_checkpoint import Checkpoint, CheckpointFile, check_against, read_checkpoints

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


KEY = derive_key("s" * 32, "entry")


def sealed(n: int, key: bytes = KEY) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for e in build(n):
        prev = (entries[-1].seq, entries[-1].hash) if entries else (0, GENESIS_HASH)
        entries.append(chain_after(e, *prev, key=key))
    return entries


def test_a_sealed_chain_verifies_with_its_key_only() -> None:
    entries = sealed(4)
    assert all(e.mac == seal(KEY, e.hash) for e in entries)
    assert verify_chain(entries, key=KEY).intact
    other = derive_key("t" * 32, "entry")
    report = verify_chain(entries, key=other)
    assert report.first_bad_seq == 1 and report.reason == ("its seal does not match (written or re-hashed "
                                                           "without the audit key)")


def test_unsealed_entries_may_only_lead_the_chain() -> None:
    legacy = build(3)
    keyed = [*legacy]
    for e in build(2):
        keyed.append(chain_after(e, keyed[-1].seq, keyed[-1].hash, key=KEY))
    report = verify_chain(keyed, key=KEY)
    assert report.intact and report.unkeyed == 3 and report.head == (5, keyed[-1].hash)
    late = chain_after(build(1)[0], keyed[-1].seq, keyed[-1].hash)
    report = verify_chain([*keyed, late], key=KEY)
    assert report.first_bad_seq == 6 and "carries no seal but an earlier entry does" in (report.reason or "")


@pytest.mark.parametrize("secret", ["", " " * 40, "x" * 31])
def test_a_short_secret_is_refused(secret: str) -> None:
    with pytest.raises(InvalidInput, match=r"audit\.key: '\*\*\*' must be at least 32 characters"):
        derive_key(secret, "entry")


def test_keys_differ_by_purpose_and_secret() -> None:
    assert derive_key("x" * 32, "entry") != derive_key("x" * 32, "checkpoint")
    assert derive_key("x" * 32, "entry") != derive_key("x" * 33, "entry")
    assert derive_key(" " + "x" * 32 + "\n", "entry") == derive_key("x" * 32, "entry")


def checkpoint(seq: int, *, database: str = "db", kind: str = "cadence", at: int = 0,
               keyed_from: int | None = 1) -> Checkpoint:
    return Checkpoint(database=database, seq=seq, hash=f"h{seq}", count=seq, at=T0 + timedelta(seconds=at),
                      keyed_from=keyed_from, kind=kind).signed(b"cp")


def test_the_last_checkpoint_is_the_highest_of_its_database() -> None:
    lines = [checkpoint(8).to_line(), checkpoint(12, database="other").to_line(), checkpoint(4, at=9).to_line(),
             checkpoint(9, kind="verify-failed", at=10).to_line(), ""]
    found = read_checkpoints(lines, "db", b"cp")
    assert found.last == checkpoint(8) and found.bad_lines == ()
    assert found.last_verification == checkpoint(9, kind="verify-failed", at=10)


def test_an_edited_or_unsigned_checkpoint_line_is_named_and_a_torn_one_passed_over() -> None:
    good = checkpoint(8).to_line()
    lines = [good, good.replace('"seq":8', '"seq":80'), "not json", checkpoint(3, database="other").to_line()]
    found = read_checkpoints(lines, "db", b"cp")
    assert found.bad_lines == (2,) and found.last == checkpoint(8)  # line 3 (torn, not JSON) is passed over
    assert read_checkpoints([good], "db", b"another key").bad_lines == (1,)


def test_a_log_shorter_than_the_checkpoint_or_rewritten_before_it_fails() -> None:
    found = CheckpointFile(checkpoint(8))
    intact = ChainReport(True, 10, head=(10, "h10"))
    assert check_against(intact, found, {8: "h8"}).intact
    assert check_against(intact, found, {8: "forged"}).describe() == (
        "audit chain broken at entry 8: its hash differs from the checkpoint's (the log was rewritten)")
    short = check_against(ChainReport(True, 8, head=(7, "h7")), found, {})
    assert short.first_bad_seq == 8 and "recorded entry 8 (truncated or cut)" in (short.reason or "")
    equal = check_against(ChainReport(True, 8, head=(8, "h8")), found, {8: "h8"})
    assert equal.intact
    unsealed = check_against(ChainReport(True, 10, head=(10, "h10"), unkeyed=1), found, {8: "h8"})
    assert unsealed.first_bad_seq == 1
    assert check_against(intact, CheckpointFile(None, (3,)), {}).describe() == (
        "audit log broken: checkpoint line(s) 3 are not validly signed")
