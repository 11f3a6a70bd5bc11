"""One end of protection everywhere: for a demo patient, the dashboard, the monitoring rules'
default, the REST API's alerts view and the chart show the same date (docs/pk.md "End of protection")."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from naltrack.api.app import create_app
from naltrack.config import Settings
from naltrack.domain.rules.monitoring import protection_end_of, run_monitoring
from naltrack.domain.rules.thresholds import DEFAULT
from naltrack.services import records
from naltrack.services import security as security_cases
from naltrack.synthetic import load_program

with warnings.catch_warnings():  # starlette asks for httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "agreement nurse pass"
TZ = "America/New_York"
CLINIC = "s7-c1"  # the demo's first clinic, in America/New_York


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("agreement")
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'demo.db'}", secret_key="test-secret",
                        timezone=TZ)
    app = create_app(settings)
    today = datetime.now(UTC).astimezone(ZoneInfo(TZ)).date()
    load_program(app.state.storage.uow, n_patients=300, seed=7, end=today)
    security_cases.add_user(app.state.secure_uow, "nurse.agree", PASSWORD, "nurse", CLINIC, datetime.now(UTC))
    yield app, today
    app.state.storage.close()


def test_dashboard_monitoring_api_and_chart_agree_on_the_end_of_protection(demo) -> None:
    app, today = demo
    with app.state.secure_uow() as uow:
        board = uow.read_models.dashboard(CLINIC, today, ZoneInfo(TZ), DEFAULT)
    # An XR-NTX patient the rule alerts on: ended lately, or ending within protection_warning_days (3).
    listed = [p for p in board.protection if p.form == "xr-ntx" and p.days_left <= DEFAULT.protection_warning_days]
    assert listed, "the demo clinic should have an XR-NTX patient whose protection ends within 3 days or ended"
    item = listed[0]
    end = item.protection_ends_on.isoformat()

    chart = records.load_chart(app.state.storage.uow(), item.patient_id)
    assert protection_end_of(chart, today) == item.protection_ends_on
    (rule,) = [a for a in run_monitoring(chart, today) if a.rule == "MON-PROTECTION-END"]
    assert re.search(rf"end(s|ed)? on {end}\b", rule.message)

    client = TestClient(app, base_url="http://127.0.0.1")
    token = security_cases.sign_in(app.state.secure_uow, security_cases.SignInThrottle(), "nurse.agree", PASSWORD,
                                   "testclient", datetime.now(UTC)).token
    response = client.get(f"/api/v1/patients/{item.patient_id}/alerts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    (api_alert,) = [a for a in response.json()["alerts"] if a["rule"] == "MON-PROTECTION-END"]
    assert api_alert["message"] == rule.message

    signed = client.post("/sign-in", data={"username": "nurse.agree", "password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303
    page = client.get(f"/patients/{item.patient_id}").text
    assert re.search(rf'id="protection-end">{end}<', page)
    assert f"on {end}" in page  # the chart's MON-PROTECTION-END alert
