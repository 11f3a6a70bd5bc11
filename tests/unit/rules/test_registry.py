"""The rule registry and the thresholds: every rule and default carries its source."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from naltrack.domain.rules.base import ALERT_SEVERITIES, READINESS_SEVERITIES, RULES, Reason, get_rule, verdict_of
from naltrack.domain.rules.thresholds import DEFAULT, STRICT, THRESHOLD_SOURCES, Thresholds

SRC = Path(__file__).resolve().parents[3] / "src" / "naltrack" / "domain" / "rules"
PRE_DOSE = SRC.parent / "pre_dose.py"


def test_rule_ids_are_unique_and_sourced() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert re.match(r"^(RDY|DOSE|IX|MON)-[A-Z0-9-]+$", rule.id)
        assert re.search(r"(clinical|codes)\.md §\d", rule.source), rule.id
        allowed = {"readiness": READINESS_SEVERITIES, "dose": ("stop",)}.get(rule.kind, ALERT_SEVERITIES)
        assert rule.severities and set(rule.severities) <= set(allowed), rule.id


def test_every_rule_id_used_in_the_code_is_registered_and_every_registered_rule_is_used() -> None:
    code = "\n".join(p.read_text() for p in [*SRC.glob("*.py"), PRE_DOSE] if p.name != "base.py")
    used = set(re.findall(r'"((?:RDY|DOSE|IX|MON)-[A-Z0-9-]+)"', code))
    assert used == {r.id for r in RULES}
    for rule_id in used:
        assert get_rule(rule_id).id == rule_id


def test_every_threshold_has_a_source_and_unconfirmed_ones_say_so() -> None:
    assert set(THRESHOLD_SOURCES) == {f.name for f in fields(Thresholds)}
    assert "UNCONFIRMED" in THRESHOLD_SOURCES["opioid_free_days_fentanyl"]
    assert "UNCONFIRMED" in THRESHOLD_SOURCES["opioid_free_days_long"]
    assert (DEFAULT.opioid_free_days_short, STRICT.opioid_free_days_short) == (7, 10)
    assert (DEFAULT.liver_review_above_x_uln, DEFAULT.liver_not_ready_above_x_uln) == (3.0, 5.0)
    assert DEFAULT.opioid_free_days("unknown-action") == DEFAULT.opioid_free_days_long


@pytest.mark.parametrize(
    ("severities", "verdict"),
    [((), "ready"), (("info",), "ready"), (("info", "review"), "review"), (("review", "not-ready"), "not-ready"),
     (("contraindication", "info"), "not-ready")],
)
def test_verdict_of_reasons(severities: tuple[str, ...], verdict: str) -> None:
    reasons = [Reason("RDY-AGE", s, "m", "clinical.md §2.5") for s in severities]  # type: ignore[arg-type]
    assert verdict_of(reasons) == verdict
