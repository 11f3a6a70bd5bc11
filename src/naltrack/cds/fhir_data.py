"""The FHIR data a CDS service needs: from ``prefetch`` when the EHR sent it, else from ``fhirServer``.

CDS Hooks 2.0 "Providing FHIR Resources to a CDS Service": a prefetch value is keyed by the
template's key as discovery declares it; ``null`` (or a missing key) means the EHR did not
prefetch it, and an OperationOutcome in its place means prefetching failed. The service may then
query ``fhirServer`` with the ``fhirAuthorization`` bearer token. Data that can be had neither way
is a :class:`~naltrack.cds.data_gaps.DataGap`, said on a card; only the Patient, without which the
service cannot work, is ``412 Precondition Failed`` (anchors.md §3.4).

``fhirServer`` is called only when its origin is configured (:class:`FhirOrigins`,
``NALTRACK_CDS_FHIR_ORIGINS``): a request cannot make naltrack reach an internal address. The token
is sent to that origin only: a ``next`` link to another origin is not followed, and redirects are
not followed. Every failure of a query reads the same (:data:`FETCH_FAILED`), so the answer never
tells an open port from a closed one; the cause is logged. Search results are followed through
their ``next`` links up to :data:`MAX_PAGES`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from naltrack.cds.data_gaps import DataGap
from naltrack.cds.hooks import HookRequest, ServiceDefinition
from naltrack.cds.problems import precondition_failed

MAX_PAGES = 20
FETCH_FAILED = "the EHR's FHIR server could not be read"
_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
_DEFAULT_PORTS = {"http": 80, "https": 443}
log = logging.getLogger("naltrack.cds")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower case, default port left out; ``None`` otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else "")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class FhirOrigins:
    """The FHIR servers naltrack may query: configured origins, and loopback when allowed (the demo)."""

    allowed: frozenset[str] = frozenset()
    loopback: bool = False

    @classmethod
    def parse(cls, text: str, *, loopback: bool = False) -> FhirOrigins:
        """Comma-separated origins (``https://ehr.example.org, https://fhir.example.org:8443``)."""
        found = set()
        for item in (part.strip() for part in text.split(",")):
            origin = origin_of(item) if item else None
            if item and origin is None:
                raise ValueError(f"{item!r} is not an http(s) origin")
            if origin:
                found.add(origin)
        return cls(frozenset(found), loopback)

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        return origin is not None and (origin in self.allowed or (self.loopback and is_loopback(url)))


@dataclass
class Gathered:
    """The resources found, and what could not be seen."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[DataGap] = field(default_factory=list)


def render_template(template: str, request: HookRequest) -> str:
    """Fill ``{{context.patientId}}``-style tokens from the request context, URL-encoded.

    ``userPractitionerId`` and friends are the id part of ``context.userId`` (CDS Hooks 2.0).
    """

    def value(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("context."):
            found = request.context.get(token.removeprefix("context."))
            if found is None:
                raise precondition_failed(f"prefetch template {template!r}", f"needs {token}, absent from context")
            return quote(str(found), safe="")
        if token.startswith("user") and request.user_id and "/" in request.user_id:
            return quote(request.user_id.split("/", 1)[1], safe="")
        raise precondition_failed(f"prefetch template {template!r}", f"token {token!r} cannot be filled")

    return _TOKEN.sub(value, template)


def resources_of(value: Any) -> list[dict[str, Any]]:
    """The resources in a prefetch value: one resource, or the entries of a Bundle (OperationOutcomes aside)."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        found = [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)] \
            if isinstance(entries, list) else []
        return [r for r in found if r.get("resourceType") != "OperationOutcome"]
    return [value] if isinstance(value.get("resourceType"), str) and value["resourceType"] != "OperationOutcome" \
        else []


def failure_of(value: Any) -> str | None:
    """Why a prefetch value or a search answer holds no usable data: an OperationOutcome with an error
    (in its place, or as a Bundle entry), in words; ``None`` when it is data."""
    if not isinstance(value, dict):
        return None
    outcomes = [value] if value.get("resourceType") == "OperationOutcome" else []
    entries = value.get("entry") if value.get("resourceType") == "Bundle" else None
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome":
            outcomes.append(resource)
    for outcome in outcomes:
        issues = outcome.get("issue")
        for issue in issues if isinstance(issues, list) else [{}]:
            issue = issue if isinstance(issue, dict) else {}
            if value is outcome or issue.get("severity") in ("error", "fatal"):
                text = issue.get("diagnostics") or issue.get("code") or "no detail"
                return f"the EHR answered with an OperationOutcome ({str(text)[:100]})"
    return None


async def gather(request: HookRequest, service: ServiceDefinition, client: httpx.AsyncClient | None,
                 timeout_s: float, origins: FhirOrigins | None = None) -> Gathered:
    """Every resource the service's prefetch templates name, prefetched or fetched, and what is missing."""
    origins = origins or FhirOrigins()
    out = Gathered()
    prefetched = request.prefetch or {}
    for key, template in service.prefetch.items():
        value = prefetched.get(key)
        failure = failure_of(value)
        if value is not None and failure is None:
            out.resources += resources_of(value)
            continue
        clause = _why_not_fetched(request, client, origins)
        reason = f"{failure or 'was not prefetched'} and {clause}" if clause else None
        if clause is None:
            assert client is not None and request.fhir_server is not None  # checked by _why_not_fetched
            query = render_template(template, request)
            found, reason = await _fetch(request.fhir_server, query, request.fhir_token, client, timeout_s)
            out.resources += found
        if reason is not None:
            if key in service.required:
                raise precondition_failed(f"prefetch.{key}", reason)
            out.gaps.append(DataGap(key, reason))
    return out


def _why_not_fetched(request: HookRequest, client: httpx.AsyncClient | None, origins: FhirOrigins) -> str | None:
    """Why ``fhirServer`` cannot be asked, or ``None`` when it can."""
    if request.fhir_server is None:
        return "no fhirServer was given"
    if not origins.allows(request.fhir_server):
        return (f"fhirServer {origin_of(request.fhir_server) or '(not a URL)'} is not an allowed origin "
                "(NALTRACK_CDS_FHIR_ORIGINS)")
    return "no FHIR client was given" if client is None else None


async def _fetch(server: str, query: str, token: str | None, client: httpx.AsyncClient,
                 timeout_s: float) -> tuple[list[dict[str, Any]], str | None]:
    """The resources a query finds (all its pages), and why it fell short (``None`` when it did not)."""
    home = origin_of(server)
    url = server.rstrip("/") + "/" + query
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        body = await _get(url, headers, client, timeout_s)
        if body is None:
            return found, FETCH_FAILED
        failure = failure_of(body)
        if failure is not None:
            return found, failure
        found += resources_of(body)
        following = _next_link(body, url)
        if following is None:
            return found, None
        if origin_of(following) != home:  # the token never leaves the origin it was issued for
            return found, "the FHIR server's next page is on another server and was not read"
        url = following
    return found, f"it has more than {MAX_PAGES} pages; the rest was not read"


async def _get(url: str, headers: dict[str, str], client: httpx.AsyncClient, timeout_s: float) -> Any:
    """The JSON body of a 200 answer, else ``None`` (the cause is logged, never answered)."""
    try:
        response = await client.get(url, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as error:
        log.warning("fhirServer query %s failed: %s", url, type(error).__name__)
        return None
    if response.status_code != 200:
        log.warning("fhirServer query %s answered %s", url, response.status_code)
        return None
    try:
        return response.json()
    except ValueError:
        log.warning("fhirServer query %s answered no JSON", url)
        return None


def _next_link(body: Any, current: str) -> str | None:
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return None
    links = body.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return urljoin(current, str(link["url"]))
    return None
