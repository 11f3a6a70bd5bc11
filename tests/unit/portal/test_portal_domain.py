"""The portal's domain: the urgency rule of side-effect reports, the craving rating of a diary day, the invite,
the patient principal, and the patient's row of the role matrix."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from naltrack.domain.errors import InvalidInput
from naltrack.domain.observations import DrinkingDay
from naltrack.domain.security.accounts import User
from naltrack.domain.security.patient_accounts import (
    INVITE_TTL,
    PatientPrincipal,
    PortalInvite,
    bound_patient_id,
    check_login_name,
)
from naltrack.domain.security.roles import ACTIONS, CATEGORIES, is_permitted
from naltrack.domain.side_effects import (
    INJECTION_SITE_KINDS,
    SEVERITIES,
    SIDE_EFFECT_KINDS,
    SideEffectReport,
    is_urgent_side_effect,
)

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("kind", sorted(INJECTION_SITE_KINDS))
@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_injection_site_problem_is_urgent_whatever_its_severity(kind: str, severity: str) -> None:
    assert is_urgent_side_effect(kind, severity) is True


@pytest.mark.parametrize("kind", [k for k in SIDE_EFFECT_KINDS if k not in INJECTION_SITE_KINDS])
def test_other_kinds_are_urgent_only_when_severe(kind: str) -> None:
    assert [is_urgent_side_effect(kind, s) for s in SEVERITIES] == [False, False, True]


def test_the_injection_site_kinds_are_pain_swelling_and_lump() -> None:
    assert INJECTION_SITE_KINDS == {"injection-site-pain", "injection-site-swelling", "injection-site-lump"}


def test_urgency_refuses_an_unknown_kind_or_severity() -> None:
    with pytest.raises(InvalidInput, match="side_effect.kind"):
        is_urgent_side_effect("rash", "mild")
    with pytest.raises(InvalidInput, match="side_effect.severity"):
        is_urgent_side_effect("nausea", "awful")


def test_something_else_needs_its_text_and_at_most_500_characters() -> None:
    with pytest.raises(InvalidInput, match="is required for 'something else'"):
        SideEffectReport(id="s", patient_id="p", kind="other", severity="mild", reported_at=T0, other_text="  ")
    with pytest.raises(InvalidInput, match="at most 500"):
        SideEffectReport(id="s", patient_id="p", kind="other", severity="mild", reported_at=T0, other_text="x" * 501)
    ok = SideEffectReport(id="s", patient_id="p", kind="other", severity="moderate", reported_at=T0,
                          other_text="x" * 500)
    assert ok.urgent is False and ok.label == "Something else" and not ok.reviewed


def test_a_report_time_must_be_aware() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        SideEffectReport(id="s", patient_id="p", kind="nausea", severity="mild", reported_at=datetime(2026, 3, 1))


def _day(**kw: object) -> DrinkingDay:
    values: dict[str, object] = {"id": "d", "patient_id": "p", "day": date(2026, 3, 1), "standard_drinks": 2.0}
    values.update(kw)
    return DrinkingDay(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("craving", [None, 0, 5, 10])
def test_a_craving_from_0_to_10_or_none_is_kept(craving: int | None) -> None:
    assert _day(craving=craving).craving == craving


@pytest.mark.parametrize("craving", [-1, 11, 2.5, True])
def test_a_craving_outside_0_to_10_or_not_whole_is_refused(craving: object) -> None:
    with pytest.raises(InvalidInput, match="must be a whole number from 0 to 10"):
        _day(craving=craving)


@pytest.mark.parametrize("drinks", [0.0, 0.5, 60.0])
def test_standard_drinks_from_0_to_60_are_kept(drinks: float) -> None:
    assert _day(standard_drinks=drinks).standard_drinks == drinks


@pytest.mark.parametrize("drinks", [-0.5, 60.5])
def test_standard_drinks_outside_0_to_60_are_refused(drinks: float) -> None:
    with pytest.raises(InvalidInput, match="drinking_day.standard_drinks"):
        _day(standard_drinks=drinks)


def test_an_invite_is_usable_once_and_until_it_expires() -> None:
    invite = PortalInvite(id="i", patient_id="p", clinic_id="c", login_name="avery.stone", token_hash="h",
                          created_by="u", created_at=T0, expires_at=T0 + INVITE_TTL)
    assert invite.is_usable(T0) and invite.is_usable(T0 + INVITE_TTL - timedelta(seconds=1))
    assert not invite.is_usable(T0 + INVITE_TTL)
    from dataclasses import replace

    assert not replace(invite, used_at=T0 + timedelta(minutes=5)).is_usable(T0 + timedelta(minutes=6))
    with pytest.raises(InvalidInput, match="must be after its creation"):
        replace(invite, expires_at=T0)


@pytest.mark.parametrize(("given", "kept"), [(" Avery.Stone ", "avery.stone"), ("a1", "a1")])
def test_login_names_are_lower_case_words(given: str, kept: str) -> None:
    assert check_login_name(given) == kept


@pytest.mark.parametrize("given", ["a", ".avery", "avery stone", "x" * 65, ""])
def test_malformed_login_names_are_refused(given: str) -> None:
    with pytest.raises(InvalidInput, match="login_name"):
        check_login_name(given)


def test_a_patient_principal_is_bound_to_one_patient_and_staff_to_none() -> None:
    principal = PatientPrincipal(id="pt-1", username="avery.stone", clinic_id="c1", patient_id="p1")
    assert bound_patient_id(principal) == "p1" and principal.role == "patient"
    assert bound_patient_id(User(id="u", username="nurse.kim", role="nurse", clinic_id="c1")) is None
    with pytest.raises(InvalidInput, match="principal.patient_id"):
        PatientPrincipal(id="pt-1", username="avery.stone", clinic_id="c1", patient_id="")
    with pytest.raises(InvalidInput, match="principal.role"):
        PatientPrincipal(id="pt-1", username="avery.stone", clinic_id="c1", patient_id="p1", role="nurse")


def test_a_staff_account_cannot_hold_the_patient_role() -> None:
    with pytest.raises(InvalidInput, match="user.role"):
        User(id="u", username="someone", role="patient", clinic_id="c1")


def test_the_patients_row_reads_their_record_and_writes_only_diary_reports_and_questionnaires() -> None:
    granted = {(c, a) for c in CATEGORIES for a in ACTIONS if is_permitted("patient", c, a)}
    writes = {(c, a) for c, a in granted if a != "read"}
    assert writes == {("substance-use", "create"), ("questionnaires", "create"), ("adverse-events", "create")}
    assert {c for c, a in granted if a == "read"} == {
        "demographics", "schedule", "administrations", "substance-use", "questionnaires", "adverse-events",
        "clinical-views", "disclosures"}
    assert not is_permitted("patient", "counseling", "read") and not is_permitted("patient", "audit", "read")
