"""The group roster: the clinic's patients in care on its own day, by name, each shown audited."""

from __future__ import annotations

from datetime import date

import pytest
from tests.unit.services.test_read_use_cases import NOON_UTC, actor, context, uow  # noqa: F401  (fixtures)

from naltrack.domain.errors import InvalidInput
from naltrack.domain.security.roles import AccessDenied
from naltrack.services.read_models import PatientRef
from naltrack.services.rosters import list_in_care


def test_the_roster_lists_patients_in_care_on_the_clinics_day_each_shown_audited(uow) -> None:  # noqa: F811
    listed = list_in_care(context(uow), actor("counselor"), 1, NOON_UTC)
    assert (listed.today, listed.items, listed.total) == (date(2026, 3, 3), (PatientRef("p2", "Ana Bell", None),), 2)
    assert uow.calls == [("in_care", "c-test", date(2026, 3, 3))]
    assert [(e.action, e.category, e.record_id, e.detail) for e in uow.security_store.audit] == [
        ("read", "demographics", "p2", "shown on the group roster")]


def test_a_role_without_demographics_is_refused_and_a_bad_limit_named(uow) -> None:  # noqa: F811
    with pytest.raises(AccessDenied, match="auditor"):
        list_in_care(context(uow), actor("auditor"), 10, NOON_UTC)
    assert uow.calls == []
    with pytest.raises(InvalidInput, match="limit: 0 must be at least 1"):
        list_in_care(context(uow), actor("counselor"), 0, NOON_UTC)
