"""schemathesis over ``/openapi.json``: generated requests to every operation never get a server error.

Bounded: :data:`EXAMPLES` examples per operation, as the prescriber of clinic c1 with the
seeded patient and record ids in the paths (so that requests reach the services, not only
the 404 of an unknown id). The requests are sent with the TestClient; the number sent is
asserted at the end.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis

from naltrack.api.app import create_app
from naltrack.api.routes.records import RECORD_API
from naltrack.config import Settings

from .conftest import SecureEnv

EXAMPLES = 8
SENT: list[int] = []
KIND_OF_PATH = {api.path: api.kind for api in RECORD_API}
SPEC = create_app(Settings(database_url="sqlite:///:memory:", data_dir=Path("/nonexistent"))).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


def _real_ids(env: SecureEnv, case: Any) -> None:
    params = case.path_parameters
    if not params:
        return
    if "patient_id" in params:
        params["patient_id"] = env.patients["c1"]
    if "record_id" in params:
        kind = KIND_OF_PATH.get(case.path.split("/")[3])
        if kind is not None:
            params["record_id"] = env.records[("c1", kind)]


def _send(env: SecureEnv, case: Any) -> int:
    _real_ids(env, case)
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = dict(kwargs.get("headers") or {})
    if case.operation.label != "DELETE /api/v1/auth/token":  # signing out would revoke the shared token
        headers.update(env.headers("c1", "prescriber"))
    response = env.client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers,
                                  content=kwargs.get("content"), json=kwargs.get("json"))
    return response.status_code


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_generated_request_gets_a_server_error(shared_env: SecureEnv, label: str) -> None:
    operation = OPERATIONS[label]

    @given(operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def check(case: Any) -> None:
        status = _send(shared_env, case)
        SENT.append(status)
        assert status < 500, (label, case.path_parameters, case.query, case.body)

    check()


def test_schemathesis_sent_a_bounded_but_real_number_of_requests() -> None:
    if not SENT:
        pytest.skip("the generated-request tests were not selected in this run")
    assert len(SENT) >= 500, len(SENT)
    assert all(status < 500 for status in SENT)
