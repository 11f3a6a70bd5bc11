"""Reminder wording: every template of every kind and channel, rendered for any neutral clinic name and any day,
names nothing of the care; the check refuses every forbidden word however it is written."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naltrack.domain import reminders as wording
from naltrack.domain.errors import InvalidInput

_NAME_CHARS = string.ascii_letters + " &'.-"
names = st.text(_NAME_CHARS, min_size=1, max_size=60).filter(
    lambda n: n.strip() != "" and wording.forbidden_in(n) == ())
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(name=names, on=days, at=times)
def test_every_template_of_every_kind_and_channel_is_neutral(name: str, on: date, at: time) -> None:
    for kind in wording.REMINDER_KINDS:
        for channel in wording.CHANNELS:
            text = wording.render(kind, channel, clinic=name, on=on, at=at)
            assert wording.forbidden_in(text) == ()
            assert name.strip() in text and wording.day_words(on) in text
            if kind == "appointment":
                assert at.strftime("%H:%M") in text
    assert wording.forbidden_in(wording.email_subject(name)) == ()


@settings(max_examples=100, deadline=None)
@given(name=names, on=days, hour=st.integers(0, 23))
def test_the_calendar_is_neutral(name: str, on: date, hour: int) -> None:
    start = datetime.combine(on, time(hour, 15), UTC)
    events = wording.calendar_events(name, [("a1", start, 30)], on)
    text = wording.ics_calendar(events, start, name)
    assert wording.forbidden_in(text) == ()
    assert text.count("BEGIN:VEVENT") == 2 and f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}" in text


def test_sms_texts_fit_one_segment_with_the_longest_name() -> None:
    longest = "W" * 60
    for kind in wording.REMINDER_KINDS:
        text = wording.render(kind, "sms", clinic=longest, on=date(2026, 9, 30), at=time(23, 59))
        assert len(text) <= 160


@pytest.mark.parametrize("word", [w.rstrip("*") for w in wording.FORBIDDEN_WORDS])
def test_every_forbidden_word_is_refused_in_any_case(word: str) -> None:
    for text in (f"Hello {word} tomorrow", f"{word.upper()}!", f"about {word.title()}."):
        with pytest.raises(InvalidInput):
            wording.check_neutral(text)


@pytest.mark.parametrize("text", [
    "Your Naltrexone visit", "VIVITROL day", "injections on Tue", "Opioid clinic", "alcohol-free", "Recovery Center",
    "addiction services", "Substance use", "treatment program", "MAT clinic", "injection due", "Sober Living",
    "Naltréxone", "the XR-NTX visit"])
def test_the_check_refuses_names_of_the_care(text: str) -> None:
    assert wording.forbidden_in(text) != ()
    with pytest.raises(InvalidInput):
        wording.check_display_name(text)


@pytest.mark.parametrize("text", ["Elm Street Health", "Oak Family Practice", "Matthews Medical Group",
                                  "Dr Nash and Partners", "Harbor Street Health", "Central Avenue Clinic"])
def test_neutral_names_pass(text: str) -> None:
    assert wording.check_display_name(text) == text


def test_a_clinic_name_that_gives_the_care_away_is_refused_in_a_reminder() -> None:
    with pytest.raises(InvalidInput) as refused:
        wording.render("appointment", "sms", clinic="Harbor Addiction Clinic", on=date(2026, 12, 8), at=time(10))
    assert refused.value.field == "reminder.clinic_name"


def test_default_display_name_is_neutral() -> None:
    assert wording.check_display_name(wording.DEFAULT_DISPLAY_NAME) == "your clinic"


def test_render_refuses_unknown_kinds_and_appointments_without_time() -> None:
    with pytest.raises(InvalidInput):
        wording.render("lab", "sms", clinic="Oak", on=date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        wording.render("appointment", "email", clinic="Oak", on=date(2026, 1, 1))


@pytest.mark.parametrize(("body", "action"), [
    ("C", "confirm"), ("c", "confirm"), ("Y", "confirm"), ("yes.", "confirm"), ("X", "cancel"), ("n", "cancel"),
    ("STOP", "stop"), ("stop ", "stop"), ("Unsubscribe", "stop"), ("CX", "other"), ("", "other"),
    ("I'll be late", "other")])
def test_replies(body: str, action: str) -> None:
    assert wording.parse_reply(body) == action


def test_a_configured_display_name_that_gives_the_care_away_is_refused() -> None:
    from naltrack.services.reminders import ReminderOptions

    options = ReminderOptions(display_names={"c1": "Harbor Recovery Center", "c2": "Elm Street Health"})
    assert options.display_name("c2") == "Elm Street Health"
    assert options.display_name("c9") == "your clinic"
    with pytest.raises(InvalidInput) as refused:
        options.display_name("c1")
    assert refused.value.field == "reminder.clinic_name"
