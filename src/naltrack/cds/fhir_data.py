"""The FHIR data a CDS service needs: from ``prefetch`` when the EHR sent it, else from ``fhirServer``.

CDS Hooks 2.0 "Providing FHIR Resources to a CDS Service": a prefetch value is keyed by the
template's key as discovery declares it; ``null`` (or a missing key) means the EHR did not
prefetch it, and the service may query ``fhirServer`` with the ``fhirAuthorization`` bearer
token. When data the service requires can be had neither way, the answer is
``412 Precondition Failed`` (anchors.md §3.4). Search results are followed through their
``next`` links up to :data:`MAX_PAGES`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from naltrack.cds.hooks import HookRequest, ServiceDefinition
from naltrack.cds.problems import precondition_failed

MAX_PAGES = 20
_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


def render_template(template: str, request: HookRequest) -> str:
    """Fill ``{{context.patientId}}``-style tokens from the request context.

    ``userPractitionerId`` and friends are the id part of ``context.userId`` (CDS Hooks 2.0).
    """

    def value(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("context."):
            found = request.context.get(token.removeprefix("context."))
            if found is None:
                raise precondition_failed(f"prefetch template {template!r}", f"needs {token}, absent from context")
            return str(found)
        if token.startswith("user") and request.user_id and "/" in request.user_id:
            return request.user_id.split("/", 1)[1]
        raise precondition_failed(f"prefetch template {template!r}", f"token {token!r} cannot be filled")

    return _TOKEN.sub(value, template)


def resources_of(value: Any) -> list[dict[str, Any]]:
    """The resources in a prefetch value: one resource, or the entries of a Bundle."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)] \
            if isinstance(entries, list) else []
    return [value] if isinstance(value.get("resourceType"), str) else []


async def gather(request: HookRequest, service: ServiceDefinition, client: httpx.AsyncClient | None,
                 timeout_s: float) -> list[dict[str, Any]]:
    """Every resource the service's prefetch templates name, prefetched or fetched."""
    out: list[dict[str, Any]] = []
    prefetched = request.prefetch or {}
    for key, template in service.prefetch.items():
        value = prefetched.get(key)
        if value is not None:
            out += resources_of(value)
            continue
        if request.fhir_server is None or client is None:
            if key in service.required:
                raise precondition_failed(f"prefetch.{key}", "was not prefetched and no fhirServer was given")
            continue
        out += await _fetch(request, key, render_template(template, request), client, timeout_s,
                            key in service.required)
    return out


async def _fetch(request: HookRequest, key: str, query: str, client: httpx.AsyncClient, timeout_s: float,
                 required: bool) -> list[dict[str, Any]]:
    assert request.fhir_server is not None  # checked by the caller
    url: str | None = request.fhir_server.rstrip("/") + "/" + query
    headers = {"Accept": "application/fhir+json"}
    if request.fhir_token:
        headers["Authorization"] = f"Bearer {request.fhir_token}"
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        try:
            response = await client.get(url, headers=headers, timeout=timeout_s)
        except httpx.HTTPError as error:
            if required:
                raise precondition_failed(f"prefetch.{key}", f"fhirServer query {query!r} failed: {error}") from error
            return found
        if response.status_code != 200:
            if required:
                raise precondition_failed(f"prefetch.{key}",
                                          f"fhirServer answered {response.status_code} to {query!r}")
            return found
        try:
            body = response.json()
        except ValueError as error:
            raise precondition_failed(f"prefetch.{key}", f"fhirServer sent no JSON for {query!r}") from error
        found += resources_of(body)
        url = _next_link(body)
    return found


def _next_link(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return None
    for link in body.get("link", []) or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None
