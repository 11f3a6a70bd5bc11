"""Static files through the real app: Plotly only on a chart that draws one, gzip, validators and cache lifetimes."""

from __future__ import annotations

import re

from tests.integration.test_web_pages import TestClient, app, csrf, seeded_database, signed_in  # noqa: F401

from naltrack.web.assets import discover_assets

SCRIPTS = re.compile(r'<script src="([^"]+)"')


def scripts(html: str) -> list[str]:
    return SCRIPTS.findall(html)


def test_a_nurse_s_chart_with_doses_loads_plotly_at_its_hashed_address(app):  # noqa: F811
    assets = discover_assets()
    html = signed_in(app, "nurse.kim").get("/patients/p1").text
    assert 'id="coverage-data"' in html
    assert assets.plotly_url in scripts(html)
    assert re.fullmatch(r"/static/vendor/plotly\.[0-9a-f]{12}\.js", assets.plotly_url)


def test_pages_without_a_chart_do_not_load_plotly(app):  # noqa: F811
    nurse = signed_in(app, "nurse.kim")
    for path in ("/", "/patients", "/schedule", "/patients/p1/injections/new", "/patients/p1/labs/new"):
        page = nurse.get(path)
        assert page.status_code == 200, path
        assert "/static/app.js" in scripts(page.text), path
        assert not [s for s in scripts(page.text) if "plotly" in s], path


def test_the_chart_of_a_role_that_sees_no_coverage_or_score_card_does_not_load_plotly(app):  # noqa: F811
    html = signed_in(app, "desk.lee").get("/patients/p1").text
    assert "Dana Reyes" in html and 'id="coverage-data"' not in html and 'id="scores-data"' not in html
    assert not [s for s in scripts(html) if "plotly" in s]


def test_a_counselor_s_chart_loads_plotly_once_a_score_series_can_be_drawn(app):  # noqa: F811
    counselor = signed_in(app, "couns.ray")
    for answered in (1, 2):  # a series needs two answers of one instrument
        assert not [s for s in scripts(counselor.get("/patients/p1").text) if "plotly" in s], answered
        form = counselor.get("/patients/p1/questionnaires/audit").text
        answers = {f"audit-{n}": str(answered) for n in range(1, 9)} | {"audit-9": "0", "audit-10": "0"}
        assert counselor.post("/patients/p1/questionnaires/audit",
                              data={"csrf_token": csrf(form), **answers}).status_code == 200
    html = counselor.get("/patients/p1").text
    assert 'id="scores-data"' in html and 'id="coverage-data"' not in html
    assert discover_assets().plotly_url in scripts(html)


def test_libraries_are_immutable_at_hashed_addresses_and_the_bare_names_are_gone(app):  # noqa: F811
    assets, client = discover_assets(), TestClient(app)
    for url in (assets.plotly_url, assets.htmx_url):
        if not url:
            continue  # htmx is optional (npm absent): pages work without it
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-encoding"] == "gzip" and response.headers["vary"] == "Accept-Encoding"
        assert int(response.headers["content-length"]) < len(response.content) // 2
    for bare in ("/static/vendor/plotly.js", "/static/vendor/htmx.js", "/static/vendor/plotly.000000000000.js"):
        assert client.get(bare).status_code == 404, bare


def test_own_files_are_gzipped_when_accepted_and_plain_otherwise(app):  # noqa: F811
    client = TestClient(app)
    for name in ("app.css", "app.js"):
        packed = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip, br"})
        plain = client.get(f"/static/{name}", headers={"Accept-Encoding": "identity"})
        assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
        assert packed.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
        assert packed.content == plain.content and int(packed.headers["content-length"]) < len(plain.content) // 2
        assert int(plain.headers["content-length"]) == len(plain.content)
        assert packed.headers["etag"] != plain.headers["etag"]
        assert packed.headers["cache-control"] == plain.headers["cache-control"] == "no-cache"


def test_an_own_file_answers_304_to_its_etag(app):  # noqa: F811
    client = TestClient(app)
    first = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    again = client.get("/static/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "no-cache" and again.headers["x-content-type-options"] == "nosniff"
    stale = client.get("/static/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.headers["content-encoding"] == "gzip" and "--brand" in stale.text
