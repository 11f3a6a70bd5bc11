"""Reminder wording that never names the nature of the care: templates, the neutral-wording check,
replies to a text, and the patient's calendar.

A Part 2 program must not reveal that a person is its patient (42 CFR 2.13: even the fact of
treatment is protected), and a reminder is read on a locked phone screen, a shared inbox or a
family tablet. Patients of office-based addiction treatment want text reminders but worry about
exactly this (Tofighi et al. 2017). So every text that leaves the clinic comes from a template of
:data:`TEMPLATES`, names the clinic by its neutral display name only, and passes
:func:`check_neutral`, which refuses any of :data:`FORBIDDEN_WORDS`. The check is applied to the
rendered text, so a clinic display name that gives the care away ("Recovery Center") is refused
too. Pure: no clock, no storage.

Examples
--------
>>> text = render("appointment", "sms", clinic="Elm Street Health", on=date(2026, 12, 8), at=time(10, 30))
>>> text
'Reminder: you have an appointment at Elm Street Health on Tue 8 Dec at 10:30. Reply C to confirm or X to cancel.'
>>> forbidden_in("Your naltrexone shot is due")
('naltrexone', 'shot')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from naltrack.domain.errors import InvalidInput

Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
ReminderKind = Literal["injection", "appointment"]
REMINDER_KINDS: tuple[ReminderKind, ...] = get_args(ReminderKind)
ReminderStatus = Literal["queued", "sent", "failed", "skipped"]
REMINDER_STATUSES: tuple[ReminderStatus, ...] = get_args(ReminderStatus)

#: The clinic name shown when a clinic has no display name configured: says nothing of the care.
DEFAULT_DISPLAY_NAME = "your clinic"

#: Words no reminder, calendar entry or e-mail subject may contain, matched as whole words (or word
#: starts, for the entries ending in ``*``), case- and accent-insensitively.
#: Rationale: each one, seen by whoever glances at the patient's phone or inbox, would say that the
#: patient receives care for substance use (42 CFR 2.13; Tofighi et al. 2017): the medication and its
#: brand names, the kind of visit (an injection or shot of a monthly medication), the conditions
#: treated, and the names programs and services go by. Medication words (``medication``, ``dose``,
#: ``prescription``) are refused as well: a neutral "appointment" or "visit" says all the patient needs.
FORBIDDEN_WORDS: tuple[str, ...] = (
    # the medication, its brands and its kind of dosing
    "naltrexone", "vivitrol", "revia", "depade", "xr-ntx", "ntx", "buprenorphine", "suboxone", "methadone",
    "naloxone", "narcan", "inject*", "shot", "shots", "implant*", "medication*", "medicine*",
    "dose*", "dosing", "prescription*", "pharmacy", "antagonist*", "blockade", "blocked",
    # the conditions and the substances
    "opioid*", "opiate*", "heroin", "fentanyl", "alcohol*", "drink*", "drug*", "substance*", "addict*",
    "dependence", "dependency", "abuse", "misuse", "overdose*", "withdrawal", "detox*", "sober*", "sobriety",
    "relapse*", "craving*", "aud", "oud", "sud",
    # the services and the program
    "treatment*", "mat", "moud", "maud", "recovery", "rehab*", "methadone clinic", "12-step", "aa", "na",
    "counsel*", "therapy", "psychiatr*", "behavioral health", "mental health", "part 2", "42 cfr",
)

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def forbidden_in(text: str) -> tuple[str, ...]:
    """The entries of :data:`FORBIDDEN_WORDS` that ``text`` contains (empty when it is neutral).

    >>> forbidden_in("Recovery Center: injections on Tuesday")
    ('inject*', 'recovery')
    >>> forbidden_in("Elm Street Health, Tue 8 Dec")
    ()
    """
    folded = _fold(text)
    words = _WORD.findall(folded)
    spaced = " " + " ".join(words) + " "
    found = []
    for entry in FORBIDDEN_WORDS:
        if entry.endswith("*"):
            stem = entry[:-1]
            hit = any(w.startswith(stem) or any(p.startswith(stem) for p in w.split("-")) for w in words)
        elif " " in entry or not entry.isalnum():
            hit = f" {' '.join(_WORD.findall(entry))} " in spaced
        else:
            hit = any(w == entry or entry in w.split("-") for w in words)
        if hit:
            found.append(entry)
    return tuple(found)


def check_neutral(text: str, field: str = "reminder.text") -> str:
    """``text`` if it names none of :data:`FORBIDDEN_WORDS`; :class:`InvalidInput` naming the first otherwise."""
    found = forbidden_in(text)
    if found:
        raise InvalidInput(field, text, f"must not name the nature of the care ({found[0].rstrip('*')})")
    return text


def check_display_name(name: str) -> str:
    """A clinic display name for reminders: 1-60 characters, neutral (:func:`check_neutral`).

    >>> check_display_name("Oak Family Practice")
    'Oak Family Practice'
    """
    stripped = name.strip()
    if not 1 <= len(stripped) <= 60:
        raise InvalidInput("reminder.clinic_name", name, "must be 1 to 60 characters")
    return check_neutral(stripped, "reminder.clinic_name")


#: The texts, by kind and channel. ``{clinic}`` is the neutral display name, ``{day}`` "Tue 8 Dec",
#: ``{at}`` "10:30" (appointments only). The due injection is "a visit due": the kind of visit is
#: never said. SMS texts fit one 160-character segment for a 60-character clinic name.
TEMPLATES: dict[tuple[ReminderKind, Channel], str] = {
    ("appointment", "sms"): "Reminder: you have an appointment at {clinic} on {day} at {at}. "
                            "Reply C to confirm or X to cancel.",
    ("appointment", "email"): "Hello,\n\nThis is a reminder that you have an appointment at {clinic} on {day} "
                              "at {at}.\n\nIf you cannot come, please call us to change it.\n\n{clinic}",
    ("injection", "sms"): "Reminder: your next visit at {clinic} is due on {day}. Please call us to book it "
                          "if you have not.",
    ("injection", "email"): "Hello,\n\nThis is a reminder that your next visit at {clinic} is due on {day}. "
                            "Please call us to book it if you have not already.\n\n{clinic}",
}
#: The e-mail subject (the line most often seen by others).
EMAIL_SUBJECT = "Reminder from {clinic}"


def day_words(on: date) -> str:
    """A day as the reminders say it.

    >>> day_words(date(2026, 12, 8))
    'Tue 8 Dec'
    """
    return f"{on.strftime('%a')} {on.day} {on.strftime('%b')}"


def render(kind: str, channel: str, *, clinic: str, on: date, at: time | None = None) -> str:
    """The text of one reminder, checked neutral; :class:`InvalidInput` for an unknown kind or channel,
    an appointment without a time, or a text that would name the care."""
    template = TEMPLATES.get((kind, channel))  # type: ignore[arg-type]
    if template is None:
        raise InvalidInput("reminder.kind", f"{kind}/{channel}", "must be a known kind and channel")
    if kind == "appointment" and at is None:
        raise InvalidInput("reminder.at", None, "an appointment reminder needs the time")
    text = template.format(clinic=check_display_name(clinic), day=day_words(on),
                           at=at.strftime("%H:%M") if at else "")
    return check_neutral(text)


def email_subject(clinic: str) -> str:
    """The e-mail subject, checked neutral.

    >>> email_subject("Oak Family Practice")
    'Reminder from Oak Family Practice'
    """
    return check_neutral(EMAIL_SUBJECT.format(clinic=check_display_name(clinic)))


ReplyAction = Literal["confirm", "cancel", "stop", "other"]
_REPLIES: dict[str, ReplyAction] = {"c": "confirm", "y": "confirm", "yes": "confirm", "x": "cancel",
                                    "n": "cancel", "no": "cancel", "stop": "stop", "unsubscribe": "stop",
                                    "stopall": "stop", "cancel": "stop", "end": "stop", "quit": "stop"}


def parse_reply(body: str) -> ReplyAction:
    """What an SMS reply asks: C/Y confirm, X/N cancel the appointment, STOP (and the carriers' other
    opt-out words, CTIA) withdraws consent to texts; anything else is left for staff.

    >>> [parse_reply(t) for t in ("c", " Y. ", "X", "STOP", "can I come at 11?")]
    ['confirm', 'confirm', 'cancel', 'stop', 'other']
    """
    word = body.strip().strip(".!").strip().lower()
    return _REPLIES.get(word, "other")


@dataclass(frozen=True)
class CalendarEvent:
    """One entry of a patient's calendar feed: an appointment (with its time) or a visit due (all day)."""

    uid: str
    summary: str
    on: date
    starts_at: datetime | None = None
    duration_min: int = 30


def calendar_events(clinic: str, appointments: list[tuple[str, datetime, int]],
                    visit_due: date | None) -> list[CalendarEvent]:
    """The neutral calendar entries: ``appointments`` as (id, start, minutes), and the visit due, if any."""
    name = check_display_name(clinic)
    events = [CalendarEvent(uid=f"appt-{aid}", summary=check_neutral(f"Appointment at {name}"), on=start.date(),
                            starts_at=start, duration_min=minutes) for aid, start, minutes in appointments]
    if visit_due is not None:
        events.append(CalendarEvent(uid=f"due-{visit_due.isoformat()}",
                                    summary=check_neutral(f"Visit due at {name}"), on=visit_due))
    return events


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_calendar(events: list[CalendarEvent], stamp: datetime, clinic: str) -> str:
    """An iCalendar (RFC 5545) file of ``events``; times in UTC, every text checked neutral.

    >>> from datetime import UTC
    >>> text = ics_calendar([CalendarEvent("d1", "Visit due at Oak", date(2026, 12, 8))],
    ...                     datetime(2026, 12, 1, tzinfo=UTC), "Oak")
    >>> "DTSTART;VALUE=DATE:20261208" in text, text.startswith("BEGIN:VCALENDAR")
    (True, True)
    """
    utc = "%Y%m%dT%H%M%SZ"
    stamp_text = stamp.astimezone(UTC).strftime(utc)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//clinic//calendar//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_text(check_display_name(clinic))}"]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}@calendar", f"DTSTAMP:{stamp_text}",
                  f"SUMMARY:{_ics_text(check_neutral(event.summary))}"]
        if event.starts_at is not None:
            start = event.starts_at.astimezone(UTC)
            lines += [f"DTSTART:{start.strftime(utc)}",
                      f"DTEND:{(start + timedelta(minutes=event.duration_min)).strftime(utc)}"]
        else:
            lines.append(f"DTSTART;VALUE=DATE:{event.on.strftime('%Y%m%d')}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
