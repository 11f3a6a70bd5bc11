"""The safety assessment's constructor and rule MON-PHQ9-ITEM9: open from a PHQ-9 with item 9
above 0 until a prescriber or counselor records an assessment at or after it (or naming it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.factories import DAY, ago, at, make_chart, make_response

from naltrack.domain.errors import InvalidInput
from naltrack.domain.rules.monitoring import phq9_item9, run_monitoring
from naltrack.domain.safety import SafetyAssessment, closes_response

ASSESSED = datetime(2026, 3, 9, 15, tzinfo=UTC)


def assessment(**overrides: Any) -> SafetyAssessment:
    values: dict[str, Any] = {"id": "sa-1", "patient_id": "p-test-1", "assessed_at": ASSESSED, "risk_level": "low",
                              "actions": ("safety-plan", "crisis-line-988"), "assessed_by": "Cora Counselor",
                              "assessor_role": "counselor"}
    return SafetyAssessment(**(values | overrides))


def positive(day: date | None = None, item9: float = 2.0) -> Any:
    return make_response("phq-9", [1, 1, 0, 0, 0, 0, 0, 0, item9], ago(1) if day is None else day)


# --- the constructor ---------------------------------------------------------------------

def test_a_valid_assessment_keeps_its_values() -> None:
    made = assessment(risk_level="moderate", follow_up_on=date(2026, 3, 12), note="plan reviewed with sister")
    assert (made.risk_level, made.actions, made.follow_up_on) == ("moderate", ("safety-plan", "crisis-line-988"),
                                                                  date(2026, 3, 12))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"risk_level": "severe"}, r"safety_assessment\.risk_level: 'severe' must be one of low, moderate, high, "
                               r"imminent"),
    ({"actions": ()}, r"safety_assessment\.actions: \(\) must name at least one action taken"),
    ({"actions": ("hug",)}, r"safety_assessment\.actions: 'hug' must be one of safety-plan"),
    ({"actions": ("safety-plan", "safety-plan")}, r"safety_assessment\.actions: .* must name each action once"),
    ({"assessed_at": datetime(2026, 3, 9, 15)}, r"safety_assessment\.assessed_at: .* must be a timezone-aware"),
    ({"assessed_by": " "}, r"safety_assessment\.assessed_by: ' ' is required"),
    ({"assessed_by": "x" * 101}, r"safety_assessment\.assessed_by: .* is longer than 100 characters"),
    ({"assessor_role": "janitor"}, r"safety_assessment\.assessor_role: 'janitor' must be one of admin"),
    ({"follow_up_on": date(2026, 3, 8)}, r"safety_assessment\.follow_up_on: .*2026-03-08.* the assessment"),
    ({"risk_level": "high"}, r"safety_assessment\.follow_up_on: None is required at high risk"),
    ({"risk_level": "imminent", "follow_up_on": date(2026, 3, 10)},
     r"safety_assessment\.actions: .* must include emergency-evaluation at imminent risk"),
    ({"actions": ("other",)}, r"safety_assessment\.note: None is required to say what \"other\" action"),
    ({"note": "x" * 2001}, r"safety_assessment\.note: .* is longer than 2000 characters"),
])
def test_the_constructor_names_field_value_and_limit(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        assessment(**overrides)


def test_the_boundaries_that_pass() -> None:
    assert assessment(follow_up_on=ASSESSED.date()).follow_up_on == ASSESSED.date()  # same day is fine
    assert assessment(assessed_by="x" * 100, note="x" * 2000).note == "x" * 2000
    assert assessment(risk_level="imminent", actions=("emergency-evaluation",)).risk_level == "imminent"
    assert assessment(risk_level="high", actions=("emergency-evaluation",)).follow_up_on is None
    assert assessment(actions=("other",), note="called the mobile crisis team").actions == ("other",)


# --- the rule ------------------------------------------------------------------------------

def item9_alerts(*assessments: SafetyAssessment, responses: tuple[Any, ...] | None = None,
                 today: date = DAY) -> list[Any]:
    chart = make_chart(questionnaires=responses if responses is not None else (positive(),),
                       safety_assessments=assessments)
    return phq9_item9(chart, today)


def test_open_without_an_assessment_and_with_no_look_back() -> None:
    response = positive(ago(400))
    found = item9_alerts(responses=(response,))
    assert [(a.rule, a.severity, a.subject) for a in found] == [("MON-PHQ9-ITEM9", "critical", response.id)]
    assert "no safety assessment recorded since" in found[0].message


def test_an_assessment_later_the_same_day_closes_it() -> None:
    response = positive(ago(1))
    same_day = assessment(assessed_at=response.completed_at + timedelta(hours=3))
    assert item9_alerts(same_day, responses=(response,)) == []


def test_an_assessment_at_the_very_time_of_the_response_closes_it() -> None:
    response = positive(ago(1))
    assert item9_alerts(assessment(assessed_at=response.completed_at), responses=(response,)) == []


def test_an_assessment_before_the_response_does_not_close_it() -> None:
    response = positive(ago(1))
    before = assessment(assessed_at=response.completed_at - timedelta(minutes=1))
    assert [a.subject for a in item9_alerts(before, responses=(response,))] == [response.id]


def test_an_assessment_that_names_the_response_closes_it_whatever_its_time() -> None:
    response = positive(ago(1))
    named = assessment(assessed_at=response.completed_at - timedelta(hours=1), response_id=response.id)
    assert item9_alerts(named, responses=(response,)) == []


@pytest.mark.parametrize(("role", "closes"), [("prescriber", True), ("counselor", True), ("nurse", False),
                                              ("front-desk", False), ("admin", False)])
def test_only_a_prescriber_or_counselor_closes_it(role: str, closes: bool) -> None:
    response = positive(ago(1))
    by = assessment(assessor_role=role, assessed_at=at(DAY, 10))
    assert closes_response(by, response) is closes
    assert len(item9_alerts(by, responses=(response,))) == (0 if closes else 1)


def test_a_retracted_assessment_does_not_close_it() -> None:
    response = positive(ago(1))
    retracted = assessment(assessed_at=at(DAY, 10), status="entered-in-error")
    assert len(item9_alerts(retracted, responses=(response,))) == 1


def test_a_later_negative_phq9_does_not_close_it() -> None:
    flagged, later = positive(ago(10)), make_response("phq-9", [0] * 9, ago(2))
    assert [a.subject for a in item9_alerts(responses=(flagged, later))] == [flagged.id]


def test_a_new_positive_response_after_an_assessment_opens_a_new_alert() -> None:
    first, second = positive(ago(10)), positive(ago(1), item9=1.0)
    between = assessment(assessed_at=at(ago(9)))
    found = item9_alerts(between, responses=(first, second))
    assert [a.subject for a in found] == [second.id]
    assert "answered 1" in found[0].message


def test_item9_zero_raises_nothing_and_a_response_after_today_is_not_read() -> None:
    assert item9_alerts(responses=(make_response("phq-9", [3] * 8 + [0], ago(1)),)) == []
    assert item9_alerts(responses=(positive(DAY + timedelta(days=1)),)) == []


def test_run_monitoring_carries_the_rule() -> None:
    chart_tz = UTC
    chart = make_chart(questionnaires=(positive(),))
    assert "MON-PHQ9-ITEM9" in {a.rule for a in run_monitoring(chart, DAY, chart_tz)}
    closed = replace(chart, safety_assessments=(assessment(assessed_at=at(DAY, 12)),))
    assert "MON-PHQ9-ITEM9" not in {a.rule for a in run_monitoring(closed, DAY, chart_tz)}
