"""Consent, queue, send and audit, end to end through a real SMTP server and a real HTTP SMS gateway."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.integration.reminders.world import (
    DISPLAY_NAME,
    EMAIL,
    GATEWAY_TOKEN,
    PATIENT,
    PHONE,
    REAL_NAME,
    ReminderWorld,
)

from naltrack.domain.errors import AccessDenied, InvalidInput, NotFound
from naltrack.domain.reminders import forbidden_in
from naltrack.services import reminders as cases


def _by_id(world: ReminderWorld) -> dict[str, cases.Reminder]:
    return {r.id: r for r in cases.list_reminders(world.ctx, world.actor(), world.now)}


def test_consent_queue_send_delivers_neutral_email_and_sms_and_audits_each(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("email", EMAIL)
    world.consent("sms", "+1 (617) 555-0100")

    report = world.queue()

    assert sorted((r.kind, r.channel) for r in report.queued) == [
        ("appointment", "email"), ("appointment", "sms"), ("injection", "email"), ("injection", "sms")]
    due = {r.kind: r.due_on for r in report.queued}
    assert due == {"injection": world.due_on, "appointment": world.appointment_at.date()}
    sms_appointment = next(r for r in report.queued if (r.kind, r.channel) == ("appointment", "sms"))
    day = world.appointment_at
    assert sms_appointment.body == (f"Reminder: you have an appointment at {DISPLAY_NAME} on "
                                    f"{day.strftime('%a')} {day.day} {day.strftime('%b')} at 10:30. "
                                    "Reply C to confirm or X to cancel.")
    assert sms_appointment.address == PHONE
    for reminder in report.queued:
        assert forbidden_in(reminder.body) == ()
        assert REAL_NAME not in reminder.body

    again = world.queue()
    assert again.queued == [] and again.already_queued == 4

    sent = world.send()

    assert sorted(sent.sent) == sorted(r.id for r in report.queued)
    assert sent.failed == {} and sent.skipped == []
    assert len(world.mailbox.messages) == 2
    for recipients, message in world.mailbox.messages:
        assert recipients == [EMAIL]
        assert message["Subject"] == f"Reminder from {DISPLAY_NAME}"
        assert message["From"] == "reminders@clinic.example"
        text = message.get_payload(decode=True).decode()
        assert DISPLAY_NAME in text and forbidden_in(text) == () and forbidden_in(message["Subject"]) == ()
    references = {message["X-Reminder-Reference"] for _, message in world.mailbox.messages}
    assert references == {r.id for r in report.queued if r.channel == "email"}
    assert len(world.gateway.received) == 2
    for body, authorization in world.gateway.received:
        assert authorization == f"Bearer {GATEWAY_TOKEN}"
        assert body["to"] == PHONE and forbidden_in(body["body"]) == ()
    assert {body["reference"] for body, _ in world.gateway.received} == {
        r.id for r in report.queued if r.channel == "sms"}

    stored = _by_id(world)
    assert {r.status for r in stored.values()} == {"sent"}
    assert all(r.attempts == 1 and r.sent_at == world.now for r in stored.values())

    entries = world.audit()
    sent_entries = [e for e in entries if e.record_type == "reminders" and e.detail and " sent by " in e.detail]
    assert sorted(e.record_id for e in sent_entries) == sorted(stored)
    for entry in sent_entries:
        reminder = stored[entry.record_id]
        assert entry.patient_id == PATIENT and entry.actor and entry.outcome == "allowed"
        assert entry.detail == f"reminder {reminder.id} sent by {reminder.channel}"
        assert reminder.body not in (entry.detail or "") and "Reminder:" not in (entry.detail or "")
    assert sum(1 for e in entries if e.record_type == "contact_consents" and e.action == "create") == 2

    resent = world.send()  # nothing left to send: nothing is sent twice
    assert resent.sent == [] and len(world.mailbox.messages) == 2 and len(world.gateway.received) == 2


def test_no_consent_nothing_queued_nothing_sent(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    assert world.queue().queued == []
    assert world.send().sent == []
    assert world.mailbox.messages == [] and world.gateway.received == []


def test_consent_withdrawn_after_queueing_is_checked_at_send_time(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("sms", PHONE)
    queued = world.queue().queued
    assert len(queued) == 2
    cases.withdraw_contact_consent(world.ctx, world.actor(), PATIENT, "sms", world.now + timedelta(seconds=1))

    report = world.send(world.now + timedelta(seconds=2))

    assert report.sent == [] and sorted(report.skipped) == sorted(r.id for r in queued)
    assert world.gateway.received == []
    assert {r.status for r in _by_id(world).values()} == {"skipped"}
    assert world.queue(world.today).queued == []  # and no new reminder for a withdrawn channel
    with pytest.raises(NotFound):
        cases.withdraw_contact_consent(world.ctx, world.actor(), PATIENT, "sms", world.now + timedelta(seconds=3))


def test_gateway_failure_marks_failed_then_the_next_run_retries(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("sms", PHONE)
    queued = world.queue().queued
    world.gateway.fail_next = 5  # both messages refused on the first run

    first = world.send()

    assert first.sent == [] and sorted(first.failed) == sorted(r.id for r in queued)
    assert all(error == "SMS gateway answered 500" for error in first.failed.values())
    stored = _by_id(world)
    assert {(r.status, r.attempts, r.last_error) for r in stored.values()} == {
        ("failed", 1, "SMS gateway answered 500")}
    failed_entries = [e for e in world.audit() if e.detail and " failed by sms" in e.detail]
    assert len(failed_entries) == 2
    world.gateway.fail_next = 0

    second = world.send(world.now + timedelta(minutes=10))

    assert sorted(second.sent) == sorted(r.id for r in queued)
    assert len(world.gateway.received) == 2
    assert {(r.status, r.attempts, r.last_error) for r in _by_id(world).values()} == {("sent", 2, None)}


def test_consent_replaced_and_checked(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("sms", PHONE)
    world.consent("sms", "+16175550199")
    overview = cases.contact_overview(world.ctx, world.actor(), PATIENT, world.now)
    assert [(c.address, c.withdrawn_at is None) for c in overview.consents if c.channel == "sms"] in (
        [("+16175550199", True), (PHONE, False)], [(PHONE, False), ("+16175550199", True)])
    assert overview.in_force("sms", world.now).address == "+16175550199"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        world.consent("sms", "555-0100")
    with pytest.raises(InvalidInput):
        world.consent("email", "not an address")
    with pytest.raises(AccessDenied):  # a counselor reads contact but may not record consent
        cases.record_contact_consent(world.ctx, world.actor("couns.ray"), PATIENT, "sms", PHONE, world.now)
    with pytest.raises(NotFound):  # another clinic's patient is not found
        cases.record_contact_consent(world.ctx, world.actor("desk.two"), PATIENT, "sms", PHONE, world.now)


def test_a_reminder_whose_day_has_passed_is_not_sent(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("sms", PHONE)
    queued = world.queue().queued
    world.gateway.fail_next = 5
    world.send()  # both fail today
    world.gateway.fail_next = 0

    report = world.send(world.now + timedelta(days=4))  # after the visit due and the appointment

    assert report.sent == [] and sorted(report.skipped) == sorted(r.id for r in queued)
    assert world.gateway.received == []
    assert {(r.status, r.last_error) for r in _by_id(world).values()} == {("skipped", "its day has passed")}
