"""``naltrack contact ...`` and ``naltrack reminders queue|send|list`` as a user runs them (subprocesses), against
the world's database, SMTP server and SMS gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.integration.reminders.world import DISPLAY_NAME, EMAIL, PATIENT, PHONE, ReminderWorld


def _run(world: ReminderWorld, *args: str) -> subprocess.CompletedProcess[str]:
    s = world.settings
    env = {**os.environ, "NALTRACK_TIMEZONE": "America/New_York", "NALTRACK_SMTP_HOST": s.smtp_host,
           "NALTRACK_SMTP_PORT": str(s.smtp_port), "NALTRACK_SMTP_TLS": "none",
           "NALTRACK_SMS_GATEWAY_URL": s.sms_gateway_url or "", "NALTRACK_SMS_GATEWAY_TOKEN": "t",
           "NALTRACK_REMINDER_CLINIC_NAMES": json.dumps({"c1": DISPLAY_NAME})}
    return subprocess.run([sys.executable, "-m", "naltrack.cli.main", *args, "--database", s.database_url or ""],
                          capture_output=True, text=True, timeout=300, env=env)


def test_cli_records_consent_queues_sends_and_lists(reminder_world: ReminderWorld) -> None:
    world = reminder_world
    bad = _run(world, "contact", "record", PATIENT, "--channel", "sms", "--address", "12", "--as", "desk.lee")
    assert bad.returncode == 2 and "phone number" in bad.stderr
    refused = _run(world, "contact", "record", PATIENT, "--channel", "sms", "--address", PHONE, "--as", "couns.ray")
    assert refused.returncode == 2

    for channel, address in (("sms", PHONE), ("email", EMAIL)):
        done = _run(world, "contact", "record", PATIENT, "--channel", channel, "--address", address,
                    "--as", "desk.lee")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("recorded ") and address in done.stdout

    queued = _run(world, "reminders", "queue", "--as", "desk.lee", "--day", world.today.isoformat())
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.strip() == f"queued 4 reminder(s) for {world.today.isoformat()}; 0 already queued"

    sent = _run(world, "reminders", "send", "--as", "desk.lee")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines()[0] == "sent 4, failed 0, skipped 0 (no consent in force)"
    assert len(world.mailbox.messages) == 2 and len(world.gateway.received) == 2

    listed = _run(world, "reminders", "list", "--as", "desk.lee", "--status", "sent")
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert len(rows) == 4 and {row[5] for row in rows} == {"sent"} and {row[1] for row in rows} == {PATIENT}

    withdrawn = _run(world, "contact", "withdraw", PATIENT, "--channel", "sms", "--as", "desk.lee")
    assert withdrawn.returncode == 0 and withdrawn.stdout.startswith("withdrawn ")
    shown = _run(world, "contact", "show", PATIENT, "--as", "desk.lee")
    assert "\tsms\t" in shown.stdout and "withdrawn " in shown.stdout and "\tin force" in shown.stdout
