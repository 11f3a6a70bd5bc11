from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from naltrack.adapters.db.engine import create_engine
from naltrack.adapters.db.security_repository import secure_uow_factory
from naltrack.domain.patients import Clinic
from naltrack.domain.security.roles import ROLES
from naltrack.services import security as security_cases
from naltrack.services.security import NotAuthenticated, SignInThrottle, create_demo_accounts, sign_in

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_demo_accounts_one_per_role_and_a_new_password_each_start(database_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security_cases, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = create_engine(database_url)
    factory = secure_uow_factory(engine)
    with factory() as uow:
        uow.clinics.add(Clinic(id="c1", name="Synthetic clinic"))
        uow.commit()
    first = create_demo_accounts(factory, "c1", NOW)
    assert [(a.username, a.role, a.clinic_id) for a in first] == [(f"demo.{r}", r, "c1") for r in ROLES]
    second = create_demo_accounts(factory, "c1", NOW)
    nurse_then, nurse_now = first[2], second[2]
    assert nurse_then.password != nurse_now.password
    assert sign_in(factory, SignInThrottle(), "demo.nurse", nurse_now.password, None, NOW).user.role == "nurse"
    with pytest.raises(NotAuthenticated, match="invalid credentials"):
        sign_in(factory, SignInThrottle(), "demo.nurse", nurse_then.password, None, NOW)
    engine.dispose()
