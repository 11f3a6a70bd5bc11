"""HTTP face of the CDS Hooks 2.0 services: discovery, service calls, feedback.

``GET /cds-services`` lists the services; ``POST /cds-services/{id}`` answers ``{"cards": [...]}``;
``POST /cds-services/{id}/feedback`` records outcomes (authenticated like the services, at most
``feedback_per_minute`` calls a minute per caller, bodies up to ``feedback_max_body_bytes``).
Errors are ``application/problem+json`` naming the path at fault; an error of :mod:`naltrack.errors`
raised by a use case gets the status of its type (:data:`naltrack.api.errors.STATUS`).
Cross-origin calls (CDS clients running in a browser, the CDS Hooks sandbox) are answered by
:class:`naltrack.api.cors.PathCors`, for the configured origins only. Bodies over ``max_body_bytes``
are 413, counted as they arrive: the application-wide limit of the REST API does not apply here
(:data:`naltrack.api.errors.OWN_BODY_LIMIT`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from naltrack.api.errors import status_of
from naltrack.cds.engine import CdsEngine
from naltrack.cds.hooks import discovery_document
from naltrack.cds.problems import PROBLEM_JSON, CdsProblem, bad_request
from naltrack.errors import DomainError

#: The documented limit of a CDS request body (NALTRACK_CDS_MAX_BODY_BYTES): 2 MB.
DEFAULT_MAX_BODY_BYTES = 2_000_000
#: The limit of a feedback body (NALTRACK_CDS_FEEDBACK_MAX_BODY_BYTES).
DEFAULT_FEEDBACK_MAX_BODY_BYTES = 100_000


def problem_response(problem: CdsProblem) -> JSONResponse:
    return JSONResponse(problem.as_problem(), status_code=problem.status, media_type=PROBLEM_JSON,
                        headers=problem.headers)


def domain_problem(error: DomainError) -> CdsProblem:
    """A use case's error as a CDS problem, with the status of its type."""
    status, title = status_of(error)
    return CdsProblem(status, title, str(error), getattr(error, "field", None))


def _too_large(size: str, limit: int) -> CdsProblem:
    return CdsProblem(413, "Content Too Large", f"(body): {size} bytes exceeds {limit} bytes", "(body)")


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused by its Content-Length or as soon as more than ``limit`` bytes have arrived."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(declared, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"more than {limit}", limit)
        chunks.append(chunk)
    return b"".join(chunks)


def build_cds_router(engine: CdsEngine, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                     feedback_max_body_bytes: int = DEFAULT_FEEDBACK_MAX_BODY_BYTES) -> APIRouter:
    """The ``/cds-services`` routes over ``engine``."""
    router = APIRouter(tags=["cds-hooks"])

    @router.get("/cds-services", summary="CDS Hooks discovery")
    async def discovery() -> JSONResponse:
        return JSONResponse(discovery_document())

    @router.post("/cds-services/{service_id}", summary="Call a CDS service")
    async def call(service_id: str, request: Request) -> JSONResponse:
        try:
            body = await _body(request, max_body_bytes)
            answer = await engine.call(service_id, body, request.headers.get("authorization"), str(request.url))
        except CdsProblem as problem:
            return problem_response(problem)
        except DomainError as error:
            return problem_response(domain_problem(error))
        return JSONResponse(answer)

    @router.post("/cds-services/{service_id}/feedback", summary="Feedback on cards")
    async def feedback(service_id: str, request: Request) -> JSONResponse:
        try:
            engine.service(service_id)
            caller = await engine.verifier.verify(request.headers.get("authorization"), str(request.url))
            host = request.client.host if request.client else "unknown"
            # Counted before the body is read, off the event loop (the count is in the database).
            await asyncio.to_thread(engine.feedback_rate.check, caller.iss or f"anonymous {host}")
            payload = _json(await _body(request, feedback_max_body_bytes))
            # The audit write runs off the event loop, so other requests (/health) are not held up by it.
            recorded = await asyncio.to_thread(engine.feedback.record, service_id, payload, caller, engine.clock())
        except CdsProblem as problem:
            return problem_response(problem)
        except DomainError as error:
            return problem_response(domain_problem(error))
        return JSONResponse({"recorded": len(recorded)})

    return router


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise bad_request("(body)", f"is not valid JSON ({error})") from error
