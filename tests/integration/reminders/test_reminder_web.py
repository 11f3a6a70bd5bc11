"""The contact page, inbound SMS replies and the calendar link, over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.integration.reminders.world import (
    DISPLAY_NAME,
    INBOUND_SECRET,
    PATIENT,
    PHONE,
    REAL_NAME,
    ReminderWorld,
)
from tests.seeding import stored_chart

from naltrack.domain.care import Appointment
from naltrack.domain.reminders import forbidden_in
from naltrack.services import reminders as cases


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def _sent_sms_appointment_reminder(world: ReminderWorld) -> cases.Reminder:
    world.consent("sms", PHONE)
    world.queue()
    world.send()
    return next(r for r in cases.list_reminders(world.ctx, world.actor(), world.now)
                if r.kind == "appointment" and r.status == "sent")


def _inbound(world: ReminderWorld, body: str, number: str = PHONE, secret: str | None = INBOUND_SECRET) -> dict:
    headers = {"X-Gateway-Secret": secret} if secret is not None else {}
    answer = world.client().post("/reminders/sms/inbound", json={"from": number, "body": body}, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _appointments(world: ReminderWorld) -> list[Appointment]:
    chart = stored_chart(world.app.state.storage.uow, PATIENT)
    return [a for a in chart.appointments if isinstance(a, Appointment) and a.status == "active"]


def test_contact_page_records_and_withdraws_consent_and_is_linked_from_the_chart(
        reminder_world: ReminderWorld) -> None:
    world = reminder_world
    web = world.staff_client()
    chart = web.get(f"/patients/{PATIENT}")
    assert f'href="/patients/{PATIENT}/contact"' in chart.text
    page = web.get(f"/patients/{PATIENT}/contact")
    assert page.status_code == 200 and "No consent" in page.text

    bad = web.post(f"/patients/{PATIENT}/contact/consents",
                   data={"csrf_token": _csrf(page.text), "channel": "sms", "address": "12"})
    assert bad.status_code == 422 and 'id="address-error"' in bad.text

    done = web.post(f"/patients/{PATIENT}/contact/consents",
                    data={"csrf_token": _csrf(page.text), "channel": "sms", "address": "+1 617 555 0100"})
    assert done.status_code == 200 and PHONE in done.text and "recorded" in done.text
    soon = datetime.now(UTC) + timedelta(seconds=5)
    overview = cases.contact_overview(world.ctx, world.actor(), PATIENT, soon)
    assert overview.in_force("sms", soon) is not None and overview.in_force("sms", soon).recorded_by != ""

    gone = web.post(f"/patients/{PATIENT}/contact/consents/withdraw",
                    data={"csrf_token": _csrf(done.text), "channel": "sms"})
    assert gone.status_code == 200 and "withdrawn" in gone.text
    later = datetime.now(UTC) + timedelta(hours=1)
    assert cases.contact_overview(world.ctx, world.actor(), PATIENT, later).in_force("sms", later) is None
    no_token = web.post(f"/patients/{PATIENT}/contact/consents", data={"channel": "sms", "address": PHONE})
    assert no_token.status_code == 403  # CSRF


def test_inbound_c_confirms_x_cancels_through_the_schedule_and_is_audited(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    reminder = _sent_sms_appointment_reminder(world)

    confirmed = _inbound(world, "C")
    assert confirmed["outcome"] == "confirmed"
    assert [a.appointment_status for a in _appointments(world)] == ["booked"]

    cancelled = _inbound(world, " x ")
    assert cancelled["outcome"] == "cancelled"
    appointments = _appointments(world)
    assert [a.appointment_status for a in appointments] == ["cancelled"]
    assert appointments[0].starts_at == world.appointment_at and appointments[0].recorded_by == "sms-gateway"
    entries = world.audit()
    assert any(e.record_type == "appointments" and e.action == "update" and e.actor == "sms-gateway"
               and e.outcome == "allowed" for e in entries)
    assert any(e.record_type == "sms_replies" and e.detail == "SMS reply: cancelled" for e in entries)

    other = _inbound(world, "Can I come at 11 instead?")
    assert other["outcome"] == "for-staff"
    replies = cases.contact_overview(world.ctx, world.actor(), PATIENT, world.now).replies
    assert sorted(r.outcome for r in replies) == ["cancelled", "confirmed", "for-staff"]
    assert all(r.reminder_id == reminder.id for r in replies)


def test_inbound_stop_withdraws_sms_consent(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("sms", PHONE)
    world.consent("email", "avery@example.org")
    assert _inbound(world, "STOP")["outcome"] == "stopped"
    later = datetime.now(UTC) + timedelta(minutes=1)
    overview = cases.contact_overview(world.ctx, world.actor(), PATIENT, later)
    assert overview.in_force("sms", later) is None and overview.in_force("email", later) is not None
    stopped = next(c for c in overview.consents if c.channel == "sms")
    assert stopped.withdrawn_by == "sms-gateway" and stopped.withdrawal_reason == "STOP texted by the patient"
    queued = cases.queue_reminders(world.ctx, world.actor(), world.today, world.options(), later).queued
    assert len(queued) == 2 and {r.channel for r in queued} == {"email"}


def test_inbound_refuses_without_the_shared_secret_and_records_unknown_numbers(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    web = world.client()
    for headers in ({}, {"X-Gateway-Secret": "wrong"}):
        answer = web.post("/reminders/sms/inbound", json={"from": PHONE, "body": "X"}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == 401
    malformed = web.post("/reminders/sms/inbound", json={"body": "X"}, headers={"X-Gateway-Secret": INBOUND_SECRET})
    assert malformed.status_code == 422 and malformed.json()["title"] == "Invalid inbound message"
    assert _inbound(world, "hello", number="+15550001111")["outcome"] == "unmatched"


def test_calendar_link_serves_neutral_ics_audits_each_fetch_and_revocation_gives_404(
        reminder_world: ReminderWorld) -> None:
    world = reminder_world
    web = world.staff_client()
    page = web.get(f"/patients/{PATIENT}/contact")
    issued = web.post(f"/patients/{PATIENT}/contact/calendar", data={"csrf_token": _csrf(page.text)})
    assert issued.status_code == 200
    found = re.search(r'<textarea id="calendar-url" readonly rows="2">([^<]+)</textarea>', issued.text)
    assert found is not None
    path = found.group(1).replace("http://clinic.example", "")
    assert re.fullmatch(r"/calendar/[A-Za-z0-9_-]{40,}\.ics", path)

    feed = world.client().get(path)

    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    text = feed.text
    assert forbidden_in(text) == () and REAL_NAME not in text and "Avery" not in text
    start = world.appointment_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in text and f"SUMMARY:Appointment at {DISPLAY_NAME}" in text
    assert f"DTSTART;VALUE=DATE:{world.due_on.strftime('%Y%m%d')}" in text
    assert f"SUMMARY:Visit due at {DISPLAY_NAME}" in text
    fetches = [e for e in world.audit() if e.actor == "calendar-link" and e.action == "read"]
    assert len(fetches) == 1 and fetches[0].outcome == "allowed"
    world.client().get(path)
    assert len([e for e in world.audit() if e.actor == "calendar-link"]) == 2

    revoked = web.post(f"/patients/{PATIENT}/contact/calendar/revoke", data={"csrf_token": _csrf(issued.text)})
    assert revoked.status_code == 200 and "Calendar link revoked." in revoked.text
    assert world.client().get(path).status_code == 404
    assert world.client().get("/calendar/unknown-token-value.ics").status_code == 404


def test_a_counselor_reads_the_contact_page_without_forms_and_posts_are_refused(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    world.consent("sms", PHONE)
    web = world.staff_client("couns.ray")
    page = web.get(f"/patients/{PATIENT}/contact")
    assert page.status_code == 200 and PHONE in page.text
    assert 'id="consent-form"' not in page.text and "Withdraw</button>" not in page.text
    refused = web.post(f"/patients/{PATIENT}/contact/calendar", data={"csrf_token": _csrf(page.text)})
    assert refused.status_code == 403
    assert not any(e.action == "create" and e.record_type == "calendar_tokens" and e.outcome == "allowed"
                   for e in world.audit())
    other_clinic = world.staff_client("desk.two").get(f"/patients/{PATIENT}/contact")
    assert other_clinic.status_code == 404 and PHONE not in other_clinic.text
