"""Portal accounts over HTTP: the one-time invite (stored hashed, single use, expiring), who may invite, the
session cookie, CSRF, and sign-in throttling and auditing as for staff."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.integration.portal.portal_world import PASSWORDS, PortalWorld, csrf, staff_actor

from naltrack.adapters.db import portal_tables as pt
from naltrack.adapters.db.security_tables import audit_log
from naltrack.domain.errors import NotFound
from naltrack.domain.security.patient_accounts import INVITE_TTL
from naltrack.services import portal_accounts as account_cases
from naltrack.services.security import hash_token


def test_an_invite_is_stored_hashed_works_once_and_expires(world: PortalWorld) -> None:
    ctx = world.app.state.application.ctx
    issued = account_cases.invite_patient(ctx, staff_actor(world.app, "nurse"), world.ids["a"]["patient"],
                                          world.ids["a"]["login"], world.now)
    with world.app.state.storage.engine.connect() as connection:
        stored = connection.execute(sa.select(pt.portal_invites.c.token_hash).where(
            pt.portal_invites.c.id == issued.invite_id)).scalar_one()
    assert stored == hash_token(issued.token) and issued.token not in stored
    assert issued.expires_at == world.now + INVITE_TTL
    with pytest.raises(NotFound, match="invite link"):
        account_cases.find_invite(ctx, issued.token, world.now + INVITE_TTL)
    web = world.client()
    page = web.get(f"/portal/invite/{issued.token}")
    assert page.status_code == 200 and world.ids["a"]["login"] in page.text
    new_password = "saffron meadow pylon quartz"
    done = web.post(f"/portal/invite/{issued.token}", data={"login_name": world.ids["a"]["login"],
                                                             "password": new_password, "password_again": new_password},
                    follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/portal/sign-in?ready=1"
    assert web.get(f"/portal/invite/{issued.token}").status_code == 404
    again = web.post(f"/portal/invite/{issued.token}", data={"login_name": world.ids["a"]["login"],
                                                              "password": "other plum gravel tiger",
                                                              "password_again": "other plum gravel tiger"})
    assert again.status_code == 404
    old = web.post("/portal/sign-in", data={"login_name": world.ids["a"]["login"], "password": PASSWORDS["a"]})
    assert old.status_code == 401  # the new password replaced the old one
    assert web.post("/portal/sign-in", data={"login_name": world.ids["a"]["login"], "password": new_password},
                    follow_redirects=False).status_code == 303


def test_a_new_invite_withdraws_the_earlier_link_and_a_new_password_ends_old_sessions(world: PortalWorld) -> None:
    ctx = world.app.state.application.ctx
    signed_in = world.patient_client("a")
    assert signed_in.get("/portal").status_code == 200
    first = account_cases.invite_patient(ctx, staff_actor(world.app, "nurse"), world.ids["a"]["patient"],
                                         world.ids["a"]["login"], world.now)
    second = account_cases.invite_patient(ctx, staff_actor(world.app, "nurse"), world.ids["a"]["patient"],
                                          world.ids["a"]["login"], world.now)
    web = world.client()
    assert web.get(f"/portal/invite/{first.token}").status_code == 404
    password = "saffron meadow pylon quartz"
    done = web.post(f"/portal/invite/{second.token}", data={"login_name": world.ids["a"]["login"],
                                                             "password": password, "password_again": password},
                    follow_redirects=False)
    assert done.status_code == 303
    ended = signed_in.get("/portal", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"] == "/portal/sign-in"


def test_a_weak_password_or_anothers_login_name_is_refused_and_the_invite_stays_usable(world: PortalWorld) -> None:
    ctx = world.app.state.application.ctx
    issued = account_cases.invite_patient(ctx, staff_actor(world.app, "front-desk"), world.ids["a"]["patient"],
                                          world.ids["a"]["login"], world.now)
    web = world.client()
    weak = web.post(f"/portal/invite/{issued.token}", data={
        "login_name": world.ids["a"]["login"], "password": "password1234", "password_again": "password1234"})
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    taken = web.post(f"/portal/invite/{issued.token}", data={
        "login_name": world.ids["b"]["login"], "password": "saffron meadow pylon quartz",
        "password_again": "saffron meadow pylon quartz"})
    assert taken.status_code == 422 and "cannot be used" in taken.text
    assert web.get(f"/portal/invite/{issued.token}").status_code == 200


@pytest.mark.parametrize(("role", "status"), [("front-desk", 200), ("nurse", 200), ("prescriber", 200),
                                              ("counselor", 403), ("admin", 403)])
def test_front_desk_nurses_and_prescribers_invite_and_other_roles_may_not(world: PortalWorld, role: str,
                                                                          status: int) -> None:
    web = world.staff_client(role)
    page = web.get("/", follow_redirects=True).text
    answer = web.post(f"/patients/{world.ids['a']['patient']}/portal/invite",
                      data={"csrf_token": csrf(page), "login_name": world.ids["a"]["login"]})
    assert answer.status_code == status
    assert ("/portal/invite/" in answer.text) is (status == 200)


def test_the_portal_cookie_is_httponly_strict_and_only_for_the_portal(world: PortalWorld) -> None:
    answer = world.client().post("/portal/sign-in", data={"login_name": world.ids["a"]["login"],
                                                          "password": PASSWORDS["a"]}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("naltrack_portal=") and "HttpOnly" in cookie and "Path=/portal" in cookie
    assert "samesite=strict" in cookie.lower()


def test_a_post_without_its_csrf_token_saves_nothing(world: PortalWorld) -> None:
    web = world.patient_client("a")
    answer = web.post("/portal/side-effects", data={"kind": "headache", "severity": "mild"})
    assert answer.status_code == 403
    with world.app.state.application.ctx.uow() as uow:
        assert [r.kind for r in uow.portal.side_effects_for(world.ids["a"]["patient"])] == ["other"]


def test_sign_in_is_throttled_and_audited_like_staff(world: PortalWorld) -> None:
    web = world.client()
    login = world.ids["b"]["login"]
    statuses = [web.post("/portal/sign-in", data={"login_name": login, "password": "wrong wrong wrong"}).status_code
                for _ in range(5)]
    assert statuses == [401] * 5
    blocked = web.post("/portal/sign-in", data={"login_name": login, "password": PASSWORDS["b"]})
    assert blocked.status_code == 429 and "Too many tries" in blocked.text
    with world.app.state.storage.engine.connect() as connection:
        denied = connection.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.action == "sign-in", audit_log.c.outcome == "denied", audit_log.c.actor == login)).scalar_one()
    assert denied == 5
