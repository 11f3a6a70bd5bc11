"""Reminder texts through an HTTP SMS gateway: ``POST {url}`` with JSON ``{"to", "body", "reference"}`` and
``Authorization: Bearer {token}``; any 2xx is accepted, anything else (or no answer) is a failure."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from naltrack.services.contact_ports import DeliveryFailed


@dataclass(frozen=True)
class HttpSmsSender:
    url: str
    token: str | None = None
    timeout_s: float = 15.0

    def send(self, to: str, subject: str, body: str, reference: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            answer = httpx.post(self.url, json={"to": to, "body": body, "reference": reference}, headers=headers,
                                timeout=self.timeout_s)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"SMS gateway: {type(error).__name__}: {error}"[:300]) from error
        if not answer.is_success:
            raise DeliveryFailed(f"SMS gateway answered {answer.status_code}")
