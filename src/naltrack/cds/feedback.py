"""Feedback on cards: accepted suggestions and overrides (CDS Hooks 2.0 "Feedback").

The EHR posts ``{"feedback": [{"card", "outcome", "acceptedSuggestions", "overrideReason",
"outcomeTimestamp"}]}``; each item is checked (400 naming the path otherwise). Feedback is
authenticated like the service calls, limited per caller (:class:`RateLimit`, 429), in body size
(413) and in items per call (400), and time-stamped by the server: the caller's
``outcomeTimestamp`` is kept only as a detail. An outcome is enriched with the rule and patient of
the card only when naltrack issued that card to the same caller (the cards and the counts of calls are
remembered where every server process sees them, :mod:`naltrack.services.cds_state`). The items of one call go to the
sink together (:func:`naltrack.cds.wiring.feedback_sink` audits them in one transaction, under the
caller's clinic); an anonymous caller has no clinic, and its feedback is kept in memory only.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from naltrack.cds.auth import Caller
from naltrack.cds.problems import CdsProblem, bad_request
from naltrack.services.cds_state import FEEDBACK_WINDOW, CdsCallState, IssuedCard, ProcessCdsState, state_key

__all__ = ["OUTCOMES", "FeedbackLog", "FeedbackRecord", "IssuedCard", "RateLimit", "parse_feedback"]

OUTCOMES = ("accepted", "overridden")
#: Outcomes kept in memory (:attr:`FeedbackLog.records`); older ones are forgotten first.
MAX_KEPT_RECORDS = 10_000
#: Longest card id accepted (naltrack's are 36-character UUIDs; the audit's record id holds 64).
MAX_CARD_ID_CHARS = 64


@dataclass(frozen=True)
class FeedbackRecord:
    """One outcome of one card: ``recorded_at`` is the server's time, ``reported_at`` the caller's."""

    service_id: str
    card: str
    outcome: str
    reported_at: datetime
    accepted_suggestions: tuple[str, ...]
    override_code: str | None
    override_comment: str | None
    caller: str
    recorded_at: datetime | None = None
    clinic_id: str | None = None
    rule: str | None = None
    patient_id: str | None = None
    linked_patient: str | None = None


class RateLimit:
    """At most ``per_minute`` calls per caller key in a window of a minute, counted in ``state`` (shared by the
    server's processes when it is the database); 429 beyond, with ``Retry-After`` the seconds until the
    window ends."""

    def __init__(self, per_minute: int, state: CdsCallState | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self.state = state or ProcessCdsState()
        self.clock = clock

    def check(self, key: str) -> None:
        """Count a call of ``key`` (it may read and write the database: call it off the event loop)."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        calls, started = self.state.count_call(state_key("feedback", key), now)
        if calls > self.per_minute:
            retry = max(1, int((started + FEEDBACK_WINDOW - now).total_seconds()) + 1)
            raise CdsProblem(429, "Too Many Requests", f"more than {self.per_minute} feedback calls a minute "
                             f"from this caller; retry in {retry} s", None, {"Retry-After": str(retry)})


class FeedbackLog:
    """Remembers the cards issued to verified callers (in ``state``) and records feedback; ``sink`` receives
    each verified caller's records (audit)."""

    def __init__(self, sink: Callable[[list[FeedbackRecord]], None] | None = None, *,
                 max_items: int = 100, state: CdsCallState | None = None) -> None:
        self.records: deque[FeedbackRecord] = deque(maxlen=MAX_KEPT_RECORDS)
        self.max_items = max_items
        self.state = state or ProcessCdsState()
        self._sink = sink
        self._lock = threading.Lock()

    def remember(self, cards: Sequence[tuple[str, IssuedCard]], now: datetime) -> None:
        """Remember the cards (uuid, what was issued) of one answer to a verified caller; an anonymous caller's
        feedback is never enriched, so its cards are not kept (it may read and write the database)."""
        kept = [(uuid, card) for uuid, card in cards if card.caller is not None]
        if kept:
            self.state.remember_cards(kept, now)

    def record(self, service_id: str, body: Any, caller: Caller, now: datetime) -> list[FeedbackRecord]:
        """Check ``body`` (at most :attr:`max_items` outcomes), stamp each outcome ``now`` and record it."""
        items = parse_feedback(service_id, body, caller.name, self.max_items)
        issued = self.state.issued_cards([i.card for i in items], now) if caller.verified else {}
        out = []
        for item in items:
            item = replace(item, recorded_at=now, clinic_id=caller.clinic_id)
            card = issued.get(item.card)
            if card is not None and card.caller == caller.iss:
                item = replace(item, rule=card.rule, patient_id=card.patient_id, linked_patient=card.linked_patient)
            out.append(item)
        if self._sink is not None and caller.clinic_id is not None:
            self._sink(out)
        with self._lock:
            self.records.extend(out)
        return out


def parse_feedback(service_id: str, body: Any, caller: str, max_items: int = 100) -> list[FeedbackRecord]:
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list) or not body["feedback"]:
        raise bad_request("feedback", "is required and must be a non-empty array")
    if len(body["feedback"]) > max_items:
        raise bad_request("feedback", f"has {len(body['feedback'])} items; at most {max_items} per call")
    return [_item(service_id, n, item, caller) for n, item in enumerate(body["feedback"])]


def _item(service_id: str, n: int, item: Any, caller: str) -> FeedbackRecord:
    path = f"feedback[{n}]"
    if not isinstance(item, dict):
        raise bad_request(path, "must be an object")
    card = item.get("card")
    if not isinstance(card, str) or not card or len(card) > MAX_CARD_ID_CHARS:
        raise bad_request(f"{path}.card", f"is required: the uuid of the card (at most {MAX_CARD_ID_CHARS} "
                                          "characters)")
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
