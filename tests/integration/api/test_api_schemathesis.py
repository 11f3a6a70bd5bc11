"""schemathesis over ``/openapi.json``: generated requests to every operation never get a server error.

Every phase runs for every operation, on SQLite and on PostgreSQL: the schema's examples, the
coverage phase (boundary values and, in negative mode, values just outside every limit the
schema states) and fuzzing with both positive and negative data, :data:`EXAMPLES` fuzzed cases
per operation. The requests are sent as the prescriber of clinic c1 with the seeded patient
and record ids in the paths of positive cases (so that they reach the services, not only the
404 of an unknown id); negative cases keep their generated ids (too long, with NUL...).

``NALTRACK_SCHEMATHESIS_EXAMPLES`` sets :data:`EXAMPLES` (default 8, a quick run); CI sets it so
that both backends together send at least 20,000 cases (``.ci/run``). The number sent on each
backend is asserted at the end.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
    from schemathesis.generation.modes import GenerationMode

from naltrack.api.app import create_app
from naltrack.api.routes.records import RECORD_API
from naltrack.config import Settings

from .conftest import SecureEnv

#: Fuzzed cases per operation and generation mode budget (the examples and coverage phases add their own).
EXAMPLES = int(os.environ.get("NALTRACK_SCHEMATHESIS_EXAMPLES", "8"))
SENT: Counter[str] = Counter()  # backend -> requests sent
COVERED: dict[str, set[str]] = {}  # backend -> operations run
KIND_OF_PATH = {api.path: api.kind for api in RECORD_API}
SPEC = create_app(Settings(database_url="sqlite:///:memory:", data_dir=Path("/nonexistent"))).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
SETTINGS = hypothesis.settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                               derandomize=True, database=None)


def _real_ids(env: SecureEnv, case: Any) -> None:
    """Seeded ids in the path of a positive case; a negative case keeps the ids generated to break the limits."""
    params = case.path_parameters
    if not params or case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
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
    # Header values as bytes: negative cases carry non-ASCII ones, which the client would refuse to send as text.
    generated = kwargs.get("headers") or {}
    headers: dict[str, Any] = {k: v.encode() if isinstance(v, str) else v for k, v in generated.items()}
    if case.operation.label != "DELETE /api/v1/auth/token":  # signing out would revoke the shared token
        headers.update(env.headers("c1", "prescriber"))
    response = env.client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers,
                                  content=kwargs.get("content"), json=kwargs.get("json"))
    return response.status_code


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_generated_request_gets_a_server_error(shared_env: SecureEnv, label: str) -> None:
    backend = shared_env.storage.engine.dialect.name

    def check(case: Any) -> None:
        status = _send(shared_env, case)
        SENT[backend] += 1
        assert status < 500, (label, case.meta.phase.name if case.meta else None, case.path_parameters, case.query,
                              case.body)

    config = HypothesisTestConfig(project=SCHEMA.config, modes=list(HypothesisTestMode), settings=SETTINGS)
    create_test(operation=OPERATIONS[label], test_func=check, config=config)()
    COVERED.setdefault(backend, set()).add(label)


def test_schemathesis_sent_every_phase_on_every_backend_selected(capsys: pytest.CaptureFixture[str]) -> None:
    complete = [backend for backend, labels in COVERED.items() if labels == set(OPERATIONS)]
    if not complete:
        pytest.skip("not every operation was selected on any backend in this run")
    for backend in complete:
        assert SENT[backend] >= EXAMPLES * len(OPERATIONS), (backend, SENT[backend])
    with capsys.disabled():
        sys.stdout.write(f"\nschemathesis: {dict(SENT)} cases sent ({EXAMPLES} fuzzed per operation)\n")
