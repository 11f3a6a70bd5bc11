"""The portal's authorization matrix, over every route the app has (so a new route cannot escape it):

* every ``/portal`` route and method, anonymous: sent to the portal's sign-in (only sign-in itself and an
  invite link answer without a session);
* every ``/portal`` route and method, patient A with patient B's ids and tokens: 404, and nothing of B's
  (name, ids, side-effect text, disclosure recipient) in any answer;
* every other route of the app (staff pages, the REST API, FHIR, CDS Hooks) with A's portal session offered
  as every kind of credential: refused, and no patient's name in the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import Mount, Route
from tests.integration.portal.portal_world import PortalWorld, csrf

OPEN_PORTAL_ROUTES = {("/portal/sign-in", "GET"), ("/portal/sign-in", "POST"), ("/portal/invite/{token}", "GET"),
                      ("/portal/invite/{token}", "POST")}
#: Routes that answer without any sign-in, by design, and show no patient data.
PUBLIC = {"/health", "/openapi.json", "/sign-in", "/cds-services", "/fhir/R4/metadata", "/static/{path:path}",
          "/api/v1/auth/token"}


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, method) under ``routes``, through included routers (FastAPI keeps them unflattened)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + (getattr(route.include_context, "prefix", "") or ""))
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield prefix + route.path, method
        elif isinstance(route, Mount):
            yield prefix + route.path + "/x", "GET"


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    found = list(dict.fromkeys(_walk(app.routes)))
    assert len(found) > 150, len(found)  # the walk reached the included routers
    return found


def _portal_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = [(p, m) for p, m in _routes(app) if p == "/portal" or p.startswith("/portal/")]
    assert len(found) >= 15, found  # the portal's pages are all here
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "x"), path)


def _markers(world: PortalWorld, who: str) -> list[str]:
    ids = world.ids[who]
    return [ids["given"], ids["family"], ids["patient"], ids["assignment"], ids["report"], ids["itch"],
            ids["recipient"], ids["login"]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_anonymous_requests_to_the_portal_go_to_its_sign_in(world: PortalWorld) -> None:
    web = world.client()
    values = {"assignment_id": world.ids["b"]["assignment"], "token": "no-such-token", "topic": "how-it-works"}
    for path, method in _portal_routes(world.app):
        answer = web.request(method, _fill(path, values), data={"csrf_token": "x"}, follow_redirects=False)
        if (path, method) in OPEN_PORTAL_ROUTES:
            assert answer.status_code in (200, 404, 422), (path, method, answer.status_code)
        else:
            assert answer.status_code == 303, (path, method, answer.status_code)
            assert answer.headers["location"] == "/portal/sign-in", (path, method)
        for marker in _markers(world, "a") + _markers(world, "b"):
            assert marker not in answer.text, (path, method, marker)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_patient_a_never_reaches_anything_of_patient_b(world: PortalWorld) -> None:
    web = world.patient_client("a")
    token = csrf(web.get("/portal").text)
    values = {"assignment_id": world.ids["b"]["assignment"], "token": world.ids["b"]["token"],
              "topic": "how-it-works", "report_id": world.ids["b"]["report"]}
    checked = 0
    for path, method in _portal_routes(world.app):
        if path == "/portal/sign-out":
            continue  # would end A's session; checked last
        data: dict[str, Any] = {"csrf_token": token, "kind": "headache", "severity": "mild", "day": "2020-01-01",
                                "standard_drinks": "1", "patient_id": world.ids["b"]["patient"]}
        answer = web.request(method, _fill(path, values), data=data, follow_redirects=False)
        if "{" in path and "{topic}" not in path:
            assert answer.status_code == 404, (path, method, answer.status_code)
        for marker in _markers(world, "b"):
            assert marker not in answer.text, (path, method, marker)
        checked += 1
    assert checked >= 14
    for page in ("/portal", "/portal/diary", "/portal/disclosures"):  # A's own pages still show A's, not B's
        text = web.get(page).text
        assert not any(marker in text for marker in _markers(world, "b")), page
    # A's report went into A's record, whatever patient id the form named
    with world.app.state.application.ctx.uow() as uow:
        assert [r.kind for r in uow.portal.side_effects_for(world.ids["b"]["patient"])] == ["other"]
        assert sorted(r.kind for r in uow.portal.side_effects_for(world.ids["a"]["patient"])) == ["headache", "other"]
    assert web.post("/portal/sign-out", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert web.get("/portal", follow_redirects=False).headers["location"] == "/portal/sign-in"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_patient_session_opens_no_staff_page_and_no_api_route(world: PortalWorld) -> None:
    raw = world.patient_client("a").cookies.get("naltrack_portal")
    assert raw
    web = world.client()
    web.cookies.set("naltrack_session", raw)  # the portal's token offered as a staff session
    web.cookies.set("naltrack_portal", raw)
    values = {"patient_id": world.ids["a"]["patient"]}
    checked, wrong = 0, []
    for path, method in _routes(world.app):
        if path == "/portal" or path.startswith("/portal/"):
            continue
        answer = web.request(method, _fill(path, values), headers={"Authorization": f"Bearer {raw}"},
                             data={"csrf_token": "x"}, follow_redirects=False)
        refused = answer.status_code >= 400 or (  # e.g. 401, 403, 404, 405; a webhook not configured: 503
            answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"))
        if path not in PUBLIC and not refused:
            wrong.append((path, method, answer.status_code))
        wrong += [(path, method, marker) for marker in _markers(world, "a") + _markers(world, "b")
                  if marker in answer.text]
        checked += 1
    assert wrong == []
    assert checked > 150


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_patients_password_signs_in_nowhere_but_the_portal(world: PortalWorld) -> None:
    web = world.client()
    login, password = world.ids["a"]["login"], "cobalt walrus lantern fig"
    staff = web.post("/sign-in", data={"username": login, "password": password}, follow_redirects=False)
    assert staff.status_code == 401 and "naltrack_session" not in staff.cookies
    api = web.post("/api/v1/auth/token", data={"username": login, "password": password})
    assert api.status_code in (401, 422) and "access_token" not in api.text
    api_json = web.post("/api/v1/auth/token", json={"username": login, "password": password})
    assert api_json.status_code == 401 and "access_token" not in api_json.text
