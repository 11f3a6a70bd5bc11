"""The program manager's outcomes page and its monthly report through the real app, on SQLite and PostgreSQL.

A hand-built program: at Harbor Clinic 24 patients with OUD started XR-naltrexone 200 days ago; 12 had an
injection every 28 days since (still in treatment), 12 only the first one (stopped after its blockade). At
Bay Clinic 5 patients started 100 days ago. Retention and the cascade are then known by hand: half of Harbor's
patients retained at 90 and 180 days, and every count of Bay Clinic is "fewer than 11".
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.integration.test_web_pages import PASSWORD, TestClient
from tests.integration.web.test_outcomes_report import pdf_text
from tests.seeding import seed

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.administrations import Injection
from naltrack.domain.episodes import Episode
from naltrack.domain.patients import Clinic, Patient
from naltrack.domain.regimens import Regimen
from naltrack.services.security import add_user

TZ = ZoneInfo("America/New_York")
USERS = (("manager.ames", "manager"), ("dr.okafor", "prescriber"), ("nurse.kim", "nurse"),
         ("couns.ray", "counselor"), ("desk.lee", "front-desk"))


def today() -> date:
    return datetime.now(TZ).date()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=TZ).astimezone(UTC)


def on_xr_ntx(pid: str, clinic: str, started_days_ago: int, injections: int) -> tuple[Patient, list]:
    """A patient with an OUD episode and ``injections`` XR-NTX injections 28 days apart from the start."""
    start = today() - timedelta(days=started_days_ago)
    patient = Patient(id=pid, clinic_id=clinic, given_name="Sam", family_name=f"Case{pid}", birth_date=date(1985, 1, 1),
                      sex_at_birth="male", mrn=f"MRN-{pid}")
    records = [Episode(id=f"{pid}-e", patient_id=pid, indication="OUD", level_of_care="OP", start=start),
               Regimen(id=f"{pid}-r", patient_id=pid, kind="xr-ntx-q4w", start=start)]
    records += [Injection(id=f"{pid}-i{n}", patient_id=pid, given_at=at(start + timedelta(days=28 * n)),
                          side="left" if n % 2 else "right", lot="LOT-1", expiry=today() + timedelta(days=300),
                          needle_length_in=1.5, given_by="nurse.kim", regimen_id=f"{pid}-r")
                for n in range(injections)]
    return patient, records


@pytest.fixture()
def app(database_url, tmp_path):
    application = create_app(Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret",
                                      timezone="America/New_York", program_name="Harbor Recovery Program"))
    storage, now = application.state.storage, datetime.now(UTC)
    seed(storage.uow, clinics=[Clinic(id="c1", name="Harbor Clinic", timezone="America/New_York"),
                               Clinic(id="c2", name="Bay Clinic", timezone="America/New_York")])
    for name, role in USERS:
        add_user(application.state.secure_uow, name, PASSWORD, role, "c1", now)
    stayers = [on_xr_ntx(f"s{n}", "c1", 200, 200 // 28 + 1) for n in range(12)]
    leavers = [on_xr_ntx(f"l{n}", "c1", 200, 1) for n in range(12)]
    bay = [on_xr_ntx(f"b{n}", "c2", 100, 100 // 28 + 1) for n in range(5)]
    everyone = stayers + leavers + bay
    seed(storage.uow, patients=[p for p, _ in everyone])
    seed(storage.uow, records=[r for _, records in everyone for r in records], now=now)
    yield application
    storage.close()


def signed_in(app, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of a table, cell by cell (tags dropped)."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def test_the_manager_lands_on_the_program_outcomes_with_the_figures_counted_by_hand(app):
    client = TestClient(app, base_url="http://127.0.0.1")
    signing = client.post("/sign-in", data={"username": "manager.ames", "password": PASSWORD},
                          follow_redirects=False)
    assert signing.headers["location"] == "/outcomes"
    html = client.get("/outcomes").text
    assert "<strong>All clinics</strong>: 29 patients" in html
    assert [link for link in re.findall(r'<li><a href="([^"]+)"', html)] == ["/outcomes"]
    by_form = cells(html, "retention-form")
    assert by_form[0] == ["Form", "Patients", "30 days", "90 days", "180 days"]
    harbor_and_bay = by_form[1]
    assert harbor_and_bay[:2] == ["XR-naltrexone injection", "29"]
    # 12 of 29 stopped within their first month; Bay's 5 are followed to day 100, Harbor's 12 others to day 200.
    assert harbor_and_bay[3].startswith("59% (") and harbor_and_bay[4].startswith("59% (")
    cascade = {row[0]: row[1:] for row in cells(html, "table-cascade")[1:]}
    assert cascade["Assessed"] == ["29", "29", "100%"] and cascade["First dose"] == ["29", "29", "100%"]
    assert cascade["Retained 90 days"] == ["17", "29", "59%"]
    assert cascade["Retained 180 days"] == ["12", "24", "50%"]  # Bay's patients are not 180 days in yet
    assert 'id="outcomes-data"' in html and "How this is counted" in html


def test_the_clinic_filter_changes_the_figures_and_small_counts_read_fewer_than_11(app):
    client = signed_in(app, "manager.ames")
    harbor = client.get("/outcomes?clinic=c1").text
    assert "<strong>Harbor Clinic</strong>: 24 patients" in harbor
    assert cells(harbor, "retention-form")[1][3].startswith("50% (")
    bay = client.get("/outcomes", params={"clinic": "c2", "form": "xr-ntx"}).text
    assert "<strong>Bay Clinic</strong>: fewer than 11 patients" in bay
    assert {row[0]: row[1] for row in cells(bay, "table-cascade")[1:]}["Assessed"] == "fewer than 11"
    assert 'name="clinic" value="c2"' in bay and 'name="form" value="xr-ntx"' in bay  # the downloads keep them


def test_pod_and_iet_load_apart_with_their_numerators_and_denominators(app):
    client = signed_in(app, "manager.ames")
    page = client.get("/outcomes?clinic=c1").text
    assert 'hx-get="/outcomes/quality?clinic=c1"' in page and 'href="/outcomes/quality?clinic=c1"' in page
    quality = {row[0]: row[1] for row in cells(client.get("/outcomes/quality?clinic=c1").text, "table-quality")[1:]}
    assert quality["HEDIS POD"] == "50% (12 of 24)"  # the stayers: 180 days without an 8-day gap
    assert quality["HEDIS IET initiation, opioid"] == "100% (24 of 24)"
    assert quality["HEDIS IET initiation, alcohol"] == "fewer than 11"
    swap = client.get("/outcomes/quality?clinic=c1", headers={"HX-Request": "true"}).text
    assert swap.lstrip().startswith('<section class="card wide" id="sec-quality"') and "<html" not in swap


def test_a_bad_filter_is_named_inline_and_the_figures_leave_it_out(app):
    client = signed_in(app, "manager.ames")
    response = client.get("/outcomes", params={"start": "2026-03-01", "end": "2026-01-01", "form": "patch"})
    assert response.status_code == 422
    html = response.text
    assert "Started up to: 2026-01-01 is before the start 2026-03-01" in html
    assert "Form of the first dose: &#39;patch&#39; is not one of oral, xr-ntx, implant" in html
    assert "<strong>All clinics</strong>: 29 patients" in html
    unknown = client.get("/outcomes?clinic=c9")
    assert unknown.status_code == 422 and "Clinic: &#39;c9&#39; is not a clinic of the program" in unknown.text


def test_the_monthly_report_downloads_as_pdf_and_csv_with_small_cells_suppressed(app):
    client = signed_in(app, "manager.ames")
    month = f"{today():%Y-%m}"
    pdf = client.get("/outcomes/report.pdf", params={"month": month, "clinic": "c1"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == f'attachment; filename="program-report-{month}.pdf"'
    text = pdf_text(pdf.content)
    assert "Harbor Recovery Program: monthly program report" in text and "Clinic: Harbor Clinic" in text
    assert "Retained 180 days" in text and "50%" in text and "Casel0" not in text
    response = client.get("/outcomes/report.csv", params={"month": month, "clinic": "c2"})
    assert response.headers["content-disposition"] == f'attachment; filename="program-report-{month}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    patients = next(r for r in rows if r["section"] == "program")
    assert (patients["numerator"], patients["note"]) == ("", "fewer than 11")
    assert all(r["numerator"] == "" or int(r["numerator"]) >= 11 for r in rows)
    assert "b0" not in response.text and "Case" not in response.text
    bad = client.get("/outcomes/report.csv", params={"month": "2026-13"})
    assert bad.status_code == 422 and "Month: &#39;2026-13&#39; is not a month (YYYY-MM)" in bad.text


@pytest.mark.parametrize("username", ["nurse.kim", "couns.ray", "desk.lee"])
def test_other_clinical_roles_are_refused_the_outcomes_and_the_reports(app, username):
    client = signed_in(app, username)
    month = f"{today():%Y-%m}"
    for path in ("/outcomes", "/outcomes/quality", f"/outcomes/report.pdf?month={month}",
                 f"/outcomes/report.csv?month={month}"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "may not read program outcome measures" in response.text
    assert "/outcomes" not in client.get("/patients").text


def test_the_manager_is_refused_charts_lists_and_notes(app):
    client = signed_in(app, "manager.ames")
    assert client.get("/", follow_redirects=False).headers["location"] == "/outcomes"
    for path in ("/dashboard/inductions", "/patients/s0", "/patients?q=Case", "/patients/s0/counseling/new",
                 "/schedule"):
        assert client.get(path).status_code == 403, path


def test_a_prescriber_reads_the_outcomes_too(app):
    html = signed_in(app, "dr.okafor").get("/outcomes").text
    assert "<strong>All clinics</strong>: 29 patients" in html
