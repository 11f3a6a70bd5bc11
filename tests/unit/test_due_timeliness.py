"""Injection timeliness and missed due days (domain/due_dates.py; clinical.md §1.2, every 4 weeks)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from naltrack.domain.due_dates import injection_timeliness, missed_injections
from naltrack.domain.rules.thresholds import DEFAULT


@pytest.mark.parametrize(("days", "interval", "expected"), [
    (0, None, "on-time"), (28, None, "on-time"), (29, None, "late"),
    (30, 30, "on-time"), (31, 30, "late"), (21, 21, "on-time"), (22, 21, "late"),
])
def test_an_injection_by_the_due_day_is_on_time_and_after_it_late(days: int, interval: int | None,
                                                                  expected: str) -> None:
    assert injection_timeliness(days, interval, DEFAULT) == expected


def test_without_an_interval_the_threshold_sets_it() -> None:
    assert injection_timeliness(30, None, replace(DEFAULT, injection_interval_days=30)) == "on-time"
    assert missed_injections(61, None, replace(DEFAULT, injection_interval_days=30)) == 1


@pytest.mark.parametrize(("gap", "missed"), [
    (0, 0), (28, 0), (29, 0), (56, 0),  # one due day passed: the late injection answers it
    (57, 1),                            # due days 28 and 56 passed: 28 was missed
    (84, 1), (85, 2), (113, 3),
])
def test_a_due_day_is_missed_once_the_next_one_has_passed(gap: int, missed: int) -> None:
    assert missed_injections(gap, None, DEFAULT) == missed
    assert missed_injections(gap, 28, DEFAULT) == missed
