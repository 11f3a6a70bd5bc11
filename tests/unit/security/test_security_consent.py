from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.consent import (
    DENIED_REASON,
    PURPOSES,
    REDISCLOSURE_NOTICE_DEFAULT,
    Consent,
    decide_disclosure,
    open_break_glass,
)
from naltrack.domain.security.roles import CLINICAL_CATEGORIES

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def consent(**overrides: object) -> Consent:
    values: dict[str, object] = dict(
        id="c1", patient_id="p1", recipient="County Hospital", purpose="referral",
        categories=("medications", "allergies"), signed_on=date(2026, 1, 1), expires_on=date(2026, 12, 31),
    )
    values.update(overrides)
    return Consent(**values)  # type: ignore[arg-type]


def test_allows_a_disclosure_that_the_consent_covers() -> None:
    decision = decide_disclosure([consent()], "county  hospital", "referral", ["medications"], NOW)
    assert decision.allowed and decision.consent_id == "c1"


@pytest.mark.parametrize(
    ("overrides", "recipient", "purpose", "categories"),
    [
        ({}, "Other Clinic", "referral", ["medications"]),
        ({}, "County Hospital", "payment", ["medications"]),
        ({}, "County Hospital", "referral", ["medications", "labs"]),
        ({"expires_on": date(2026, 5, 31)}, "County Hospital", "referral", ["medications"]),
        ({"signed_on": date(2026, 6, 2), "expires_on": date(2026, 12, 31)}, "County Hospital", "referral",
         ["medications"]),
        ({"revoked_at": NOW - timedelta(seconds=1)}, "County Hospital", "referral", ["medications"]),
    ],
    ids=["other-recipient", "other-purpose", "uncovered-category", "expired", "not-yet-signed", "revoked"],
)
def test_refuses_without_a_fitting_consent_in_force(
    overrides: dict[str, object], recipient: str, purpose: str, categories: list[str]
) -> None:
    decision = decide_disclosure([consent(**overrides)], recipient, purpose, categories, NOW)
    assert not decision.allowed
    assert decision.reason == DENIED_REASON  # same answer as "no consent": existence does not leak


def test_expiry_day_still_counts_and_the_next_day_does_not() -> None:
    c = consent(expires_on=NOW.date())
    assert decide_disclosure([c], "County Hospital", "referral", ["allergies"], NOW).allowed
    assert not decide_disclosure([c], "County Hospital", "referral", ["allergies"], NOW + timedelta(days=1)).allowed


def test_revocation_stops_future_disclosures_only() -> None:
    c = consent(revoked_at=NOW + timedelta(hours=1))
    assert decide_disclosure([c], "County Hospital", "referral", ["allergies"], NOW).allowed
    assert not decide_disclosure([c], "County Hospital", "referral", ["allergies"], NOW + timedelta(hours=2)).allowed


def test_consent_without_recipient_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="consent.recipient"):
        consent(recipient="  ")


def test_consent_with_unknown_category_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="consent.categories: 'audit' must be one of"):
        consent(categories=("audit",))


def test_consent_expiring_before_signature_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="consent.expires_on: '2025-01-01' is before the signature date"):
        consent(expires_on=date(2025, 1, 1))


def test_emergency_needs_a_break_glass_grant_in_force() -> None:
    grant = open_break_glass("g1", "u1", "p1", "unresponsive after overdose in ED", NOW, minutes=30)
    assert decide_disclosure([], "ED", "emergency", ["medications"], NOW, grant).allowed
    assert not decide_disclosure([], "ED", "emergency", ["medications"], NOW + timedelta(minutes=30), grant).allowed
    assert not decide_disclosure([], "ED", "emergency", ["medications"], NOW).allowed


def test_break_glass_needs_a_stated_reason_and_a_bounded_time() -> None:
    with pytest.raises(InvalidInput, match="break_glass.reason: 'because' must state the emergency"):
        open_break_glass("g1", "u1", "p1", "because", NOW)
    with pytest.raises(InvalidInput, match="break_glass.minutes: 241 must be between 1 and 240"):
        open_break_glass("g1", "u1", "p1", "unresponsive after overdose in ED", NOW, minutes=241)


def test_notice_is_the_part_2_redisclosure_statement() -> None:
    assert REDISCLOSURE_NOTICE_DEFAULT.startswith("This record which has been disclosed to you is protected")
    assert "42 CFR part 2" in REDISCLOSURE_NOTICE_DEFAULT


@given(
    consents=st.lists(st.builds(
        consent,
        id=st.uuids().map(str),
        recipient=st.sampled_from(["A", "B"]), purpose=st.sampled_from(PURPOSES[:-1]),
        categories=st.lists(st.sampled_from(CLINICAL_CATEGORIES), min_size=1, max_size=4, unique=True).map(tuple),
        expires_on=st.dates(date(2026, 1, 1), date(2027, 1, 1)),
        revoked_at=st.none() | st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)),
    ), max_size=4, unique_by=lambda c: c.id),
    recipient=st.sampled_from(["A", "B", "C"]),
    purpose=st.sampled_from(PURPOSES[:-1]),
    categories=st.lists(st.sampled_from(CLINICAL_CATEGORIES), min_size=1, max_size=3, unique=True),
)
def test_an_allowed_disclosure_always_rests_on_one_consent_that_covers_it(
    consents: list[Consent], recipient: str, purpose: str, categories: list[str]
) -> None:
    decision = decide_disclosure(consents, recipient, purpose, categories, NOW)
    fitting = [c for c in consents if c.is_in_force(NOW) and c.covers(recipient, purpose, categories)]
    assert decision.allowed == bool(fitting)
    if decision.allowed:
        used = next(c for c in consents if c.id == decision.consent_id)
        assert used.recipient == recipient and used.purpose == purpose
        assert set(categories) <= set(used.categories)
        assert used.revoked_at is None or used.revoked_at > NOW
        assert used.expires_on >= NOW.date()
