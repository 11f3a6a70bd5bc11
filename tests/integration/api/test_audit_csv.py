"""The auditor's CSV export over the API: their clinic's entries only, no cell that a spreadsheet runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from naltrack.domain.security.audit import AuditEvent

from .conftest import SecureEnv

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def test_csv_cells_are_neutralised_and_scoped_to_the_clinic(secure_env: SecureEnv) -> None:
    with secure_env.uow() as uow:
        for detail in [*FORMULAS, "plain"]:
            uow.security.append_audit(AuditEvent(at=datetime.now(UTC), actor="u1", clinic_id="c1", action="read",
                                                 category="labs", detail=detail))
        uow.security.append_audit(AuditEvent(at=datetime.now(UTC), actor="elsewhere", clinic_id="c2", action="read",
                                             category="labs", detail="=other clinic"))
        uow.security.append_audit(AuditEvent(at=datetime.now(UTC), actor="nobody", clinic_id=None, action="sign-in",
                                             category="users", outcome="denied"))
        uow.commit()
    answer = secure_env.client.get("/api/v1/audit?format=csv&limit=1000", headers=secure_env.headers("c1", "auditor"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    details = [r["detail"] for r in rows if r["actor"] == "u1"]
    assert sorted(details) == sorted(["'" + f for f in FORMULAS] + ["plain"])
    assert {r["clinic_id"] for r in rows} == {"c1"}
