"""Which status a visit on the schedule may move to (domain.care.next_statuses)."""

from __future__ import annotations

import pytest

from naltrack.domain.care import APPOINTMENT_STATUSES, next_statuses
from naltrack.domain.errors import InvalidInput


def test_a_booked_visit_is_checked_in_or_a_no_show():
    assert next_statuses("booked") == ("arrived", "noshow")


def test_an_arrived_patient_is_seen_or_the_check_in_undone():
    assert next_statuses("arrived") == ("fulfilled", "booked")


def test_a_no_show_is_marked_only_from_booked_and_only_undone_back_to_booked():
    assert [s for s in APPOINTMENT_STATUSES if "noshow" in next_statuses(s)] == ["booked"]
    assert next_statuses("noshow") == ("booked",)


@pytest.mark.parametrize("status", ["fulfilled", "cancelled"])
def test_a_seen_or_cancelled_visit_is_final(status):
    assert next_statuses(status) == ()


def test_every_move_leads_to_an_appointment_status_other_than_the_current_one():
    for status in APPOINTMENT_STATUSES:
        assert set(next_statuses(status)) <= set(APPOINTMENT_STATUSES) - {status}


def test_an_unknown_status_is_refused_naming_the_field():
    with pytest.raises(InvalidInput, match=r"appointment\.appointment_status.*'checked-in'.*must be one of booked"):
        next_statuses("checked-in")
