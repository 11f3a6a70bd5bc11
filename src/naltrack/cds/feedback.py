"""Feedback on cards: accepted suggestions and overrides (CDS Hooks 2.0 "Feedback").

The EHR posts ``{"feedback": [{"card", "outcome", "acceptedSuggestions", "overrideReason",
"outcomeTimestamp"}]}``; each item is checked (400 naming the path otherwise) and recorded with
the service, the rule and the patient of the card when naltrack issued it. The items of one
call go to the sink together (:func:`naltrack.cds.wiring.feedback_sink` audits them in one
transaction).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from naltrack.cds.problems import bad_request

OUTCOMES = ("accepted", "overridden")
#: Cards remembered for feedback; older ones are forgotten first.
MAX_REMEMBERED_CARDS = 50_000


@dataclass(frozen=True)
class IssuedCard:
    service_id: str
    rule: str
    patient_id: str
    indicator: str


@dataclass(frozen=True)
class FeedbackRecord:
    """One outcome of one card."""

    service_id: str
    card: str
    outcome: str
    outcome_at: datetime
    accepted_suggestions: tuple[str, ...]
    override_code: str | None
    override_comment: str | None
    caller: str
    rule: str | None = None
    patient_id: str | None = None


class FeedbackLog:
    """Remembers issued cards and records feedback; ``sink`` also receives each call's records (audit)."""

    def __init__(self, sink: Callable[[list[FeedbackRecord]], None] | None = None) -> None:
        self._cards: OrderedDict[str, IssuedCard] = OrderedDict()
        self.records: list[FeedbackRecord] = []
        self._sink = sink
        self._lock = threading.Lock()

    def remember(self, card_uuid: str, card: IssuedCard) -> None:
        with self._lock:
            self._cards[card_uuid] = card
            while len(self._cards) > MAX_REMEMBERED_CARDS:
                self._cards.popitem(last=False)

    def issued(self, card_uuid: str) -> IssuedCard | None:
        return self._cards.get(card_uuid)

    def record(self, service_id: str, body: Any, caller: str) -> list[FeedbackRecord]:
        items = parse_feedback(service_id, body, caller)
        out = []
        for item in items:
            issued = self.issued(item.card)
            if issued is not None:
                item = FeedbackRecord(**{**item.__dict__, "rule": issued.rule, "patient_id": issued.patient_id})
            out.append(item)
        with self._lock:
            self.records.extend(out)
        if self._sink is not None:
            self._sink(out)
        return out


def parse_feedback(service_id: str, body: Any, caller: str) -> list[FeedbackRecord]:
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list) or not body["feedback"]:
        raise bad_request("feedback", "is required and must be a non-empty array")
    return [_item(service_id, n, item, caller) for n, item in enumerate(body["feedback"])]


def _item(service_id: str, n: int, item: Any, caller: str) -> FeedbackRecord:
    path = f"feedback[{n}]"
    if not isinstance(item, dict):
        raise bad_request(path, "must be an object")
    card = item.get("card")
    if not isinstance(card, str) or not card:
        raise bad_request(f"{path}.card", "is required: the uuid of the card")
    outcome = item.get("outcome")
    if outcome not in OUTCOMES:
        raise bad_request(f"{path}.outcome", f"{outcome!r} must be one of {', '.join(OUTCOMES)}")
    when = _timestamp(item.get("outcomeTimestamp"), f"{path}.outcomeTimestamp")
    accepted = _accepted(item.get("acceptedSuggestions"), f"{path}.acceptedSuggestions", outcome)
    code, comment = _override(item.get("overrideReason"), f"{path}.overrideReason")
    return FeedbackRecord(service_id, card, outcome, when, accepted, code, comment, caller)


def _timestamp(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise bad_request(path, "is required (an ISO 8601 instant)")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_request(path, f"{value!r} is not an ISO 8601 instant") from error
    if when.tzinfo is None:
        raise bad_request(path, f"{value!r} needs a time zone offset")
    return when


def _accepted(value: Any, path: str, outcome: str) -> tuple[str, ...]:
    if value is None:
        if outcome == "accepted":
            raise bad_request(path, "is required when the outcome is accepted")
        return ()
    if not isinstance(value, list) or not all(isinstance(s, dict) and isinstance(s.get("id"), str) for s in value):
        raise bad_request(path, "must be an array of {\"id\": suggestion uuid}")
    return tuple(s["id"] for s in value)


def _override(value: Any, path: str) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise bad_request(path, "must be an object with reason and userComment")
    reason = value.get("reason")
    code = reason.get("code") if isinstance(reason, dict) else None
    comment = value.get("userComment")
    if comment is not None and not isinstance(comment, str):
        raise bad_request(f"{path}.userComment", "must be a string")
    return (str(code) if code is not None else None), comment
