"""Delivery of reminders: e-mail over SMTP (:mod:`.smtp`) and SMS through an HTTP gateway (:mod:`.sms`), each a
:class:`~naltrack.services.contact_ports.MessageSender`; :func:`senders_from_settings` builds the configured ones."""

from __future__ import annotations

from naltrack.adapters.delivery.sms import HttpSmsSender
from naltrack.adapters.delivery.smtp import SmtpSender
from naltrack.config import Settings
from naltrack.services.contact_ports import MessageSender


def senders_from_settings(settings: Settings) -> dict[str, MessageSender]:
    """The senders by channel: e-mail always (the SMTP host of the settings), SMS when a gateway URL is set."""
    senders: dict[str, MessageSender] = {
        "email": SmtpSender(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                            tls=settings.smtp_tls, username=settings.smtp_username, password=settings.smtp_password),
    }
    if settings.sms_gateway_url:
        senders["sms"] = HttpSmsSender(settings.sms_gateway_url, settings.sms_gateway_token)
    return senders
