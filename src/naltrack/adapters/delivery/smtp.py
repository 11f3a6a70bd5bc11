"""Reminder e-mails over SMTP (:mod:`smtplib`): plain text, one message per reminder, the reminder id in a
header so that a bounce can be traced to it."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from naltrack.services.contact_ports import DeliveryFailed


@dataclass(frozen=True)
class SmtpSender:
    """Sends through ``host:port``: ``tls`` is ``none``, ``starttls`` (upgrade after connecting) or ``tls``."""

    host: str
    port: int
    sender: str
    tls: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 20.0

    def send(self, to: str, subject: str, body: str, reference: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(idstring=reference)
        message["X-Reminder-Reference"] = reference
        message.set_content(body)
        try:
            if self.tls == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {type(error).__name__}: {error}"[:300]) from error
