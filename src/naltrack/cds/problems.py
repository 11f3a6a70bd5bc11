"""Errors the CDS Hooks endpoints answer with, as ``application/problem+json`` (RFC 9457).

Every problem names the JSON path of the offending element, so a calling EHR can see what to
fix; nothing here ever turns into a 500.
"""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


class CdsProblem(Exception):
    """An error answered with ``status``; ``path`` is the JSON path at fault (``context.patientId``)."""

    def __init__(self, status: int, title: str, detail: str, path: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.path = path
        self.headers = headers or {}
        super().__init__(f"{status} {title}: {detail}")

    def as_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status,
                                "detail": self.detail}
        if self.path is not None:
            body["path"] = self.path
        return body


def bad_request(path: str, detail: str) -> CdsProblem:
    return CdsProblem(400, "Bad Request", f"{path}: {detail}", path)


def precondition_failed(path: str, detail: str) -> CdsProblem:
    """412: the data the service needs is neither prefetched nor obtainable (CDS Hooks 2.0 §"Prefetch")."""
    return CdsProblem(412, "Precondition Failed", f"{path}: {detail}", path)


def unauthorized(detail: str) -> CdsProblem:
    return CdsProblem(401, "Unauthorized", detail, "Authorization", {"WWW-Authenticate": "Bearer"})
