"""Every class of the error hierarchy has an explicit mapping in every face.

The faces map error *types* (never messages): the REST API to a problem+json status, FHIR R4 to an
OperationOutcome issue type (with the API's status), the CLI
to an exit code, the web pages to a response, CDS Hooks to the API's status. A new subclass of
``DomainError`` anywhere in naltrack, without an entry in each table, fails here.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import naltrack
import naltrack.errors
from naltrack.api.errors import STATUS, domain_problem, status_of
from naltrack.api.routes.fhir_outcome import ISSUE_TYPE, fhir_error
from naltrack.cds.router import domain_problem as cds_problem
from naltrack.cli.errors import EXIT_CODES, exit_code_of
from naltrack.errors import (
    AccessDenied,
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PreconditionRequired,
    StaleVersion,
    TooManyAttempts,
)
from naltrack.web.pages import RESPONSES


def _import_all() -> None:
    for module in pkgutil.walk_packages(naltrack.__path__, "naltrack."):
        if ".migrations" in module.name:  # Alembic scripts run only under Alembic
            continue
        importlib.import_module(module.name)


def _subclasses(cls: type[DomainError]) -> set[type[DomainError]]:
    found = set()
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("naltrack."):
            found |= {sub} | _subclasses(sub)
    return found


_import_all()
ERROR_CLASSES = sorted({DomainError} | _subclasses(DomainError), key=lambda c: f"{c.__module__}.{c.__qualname__}")
FACES = {"api": STATUS, "cli": EXIT_CODES, "web": RESPONSES, "fhir": ISSUE_TYPE}
#: The FHIR IssueType codes (https://hl7.org/fhir/R4/valueset-issue-type.html) an error may answer with.
FHIR_ISSUE_TYPES = {"invalid", "not-found", "forbidden", "security", "conflict", "processing", "business-rule",
                    "throttled"}


def test_the_hierarchy_is_found_in_full() -> None:
    names = {c.__name__ for c in ERROR_CLASSES}
    assert {"InvalidInput", "DoseLimitExceeded", "ImportRefused", "NotEligible", "NotFound", "Conflict",
            "StaleVersion", "AccessDenied", "DisclosureRefused", "NotAuthenticated", "SignInRequired",
            "TooManyAttempts", "CsrfFailed", "PreconditionRequired"} <= names


@pytest.mark.parametrize("face", sorted(FACES))
@pytest.mark.parametrize("error_class", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_has_an_explicit_mapping(face: str, error_class: type[DomainError]) -> None:
    assert error_class in FACES[face], f"{face} face has no mapping for {error_class.__module__}.{error_class.__name__}"


def test_every_error_class_is_defined_in_naltrack_errors() -> None:
    assert {c.__module__ for c in ERROR_CLASSES} == {"naltrack.errors"}


@pytest.mark.parametrize(("error", "status"), [
    (InvalidInput("dose_mg", 500, "must be at most 380"), 422),
    (NotFound("patient", "p1"), 404),
    (Conflict("a record breaks a key"), 409),
    (StaleVersion("injection 'i1' was changed by someone else"), 412),
    (PreconditionRequired("an update needs If-Match"), 428),
    (AccessDenied("auditor", "labs", "read"), 403),
    (NotAuthenticated(), 401),
    (TooManyAttempts(30), 429),
])
def test_api_status_is_read_from_the_type(error: DomainError, status: int) -> None:
    assert status_of(error)[0] == status
    assert domain_problem(error).status_code == status


@pytest.mark.parametrize(("error", "status", "code", "expression"), [
    (InvalidInput("dose_mg", 500, "must be at most 380"), 422, "invalid", ["dose_mg"]),
    (NotFound("patient", "p1"), 404, "not-found", None),
    (Conflict("a record breaks a key"), 409, "conflict", None),
    (StaleVersion("injection 'i1' was changed by someone else"), 412, "conflict", ["If-Match"]),
    (PreconditionRequired("an update needs If-Match"), 428, "processing", ["If-Match"]),
    (AccessDenied("auditor", "labs", "read"), 403, "forbidden", None),
    (NotAuthenticated(), 401, "security", None),
    (TooManyAttempts(30), 429, "throttled", None),
])
def test_fhir_answers_an_operation_outcome_with_the_api_status_of_the_type(
        error: DomainError, status: int, code: str, expression: list[str] | None) -> None:
    response = fhir_error(error)
    body = json.loads(bytes(response.body))
    assert response.status_code == status == status_of(error)[0]
    assert response.media_type == "application/fhir+json"
    issue = body["issue"][0]
    assert (body["resourceType"], issue["severity"], issue["code"]) == ("OperationOutcome", "error", code)
    assert issue["diagnostics"] == str(error) and issue.get("expression") == expression


@pytest.mark.parametrize("error_class", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_fhir_issue_type_is_a_fhir_code(error_class: type[DomainError]) -> None:
    assert ISSUE_TYPE[error_class] in FHIR_ISSUE_TYPES


@pytest.mark.parametrize(("error", "status", "path"), [
    (StaleVersion("consent 'c1' was changed by someone else"), 412, None),
    (InvalidInput("context.patientId", "", "must not be empty"), 422, "context.patientId"),
    (AccessDenied("auditor", "labs", "read"), 403, None),
])
def test_cds_hooks_answer_with_the_api_status_of_the_type(error: DomainError, status: int, path: str | None) -> None:
    problem = cds_problem(error)
    assert (problem.status, problem.title, problem.path) == (status, status_of(error)[1], path)


def test_a_conflict_is_not_stale_whatever_its_message_says() -> None:
    assert status_of(Conflict("patient 'p1' was changed by someone else"))[0] == 409


def test_a_subclass_answers_as_its_parent_when_mapped_alike() -> None:
    class LateDose(InvalidInput):
        pass

    assert status_of(LateDose("dose", 1, "late"))[0] == 422
    assert exit_code_of(LateDose("dose", 1, "late")) == 2


def test_every_cli_exit_code_is_bad_input() -> None:
    assert set(EXIT_CODES.values()) == {2}


def test_no_face_reads_an_error_message_to_decide() -> None:
    faces = Path(naltrack.__file__).parent
    reads_message = re.compile(r"\bin\s+(str\(\w+\)|\w+\.args)|str\(\w+\)\.(startswith|endswith)\(")
    found = [f"{path.relative_to(faces)}:{number}: {line.strip()}"
             for face in ("api", "cli", "web", "cds") for path in sorted((faces / face).rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if reads_message.search(line)]
    assert found == []


def test_the_ordered_tuple_of_error_classes_names_each_class_once() -> None:
    assert len(naltrack.errors.ERROR_CLASSES) == len(set(naltrack.errors.ERROR_CLASSES))
    assert set(naltrack.errors.ERROR_CLASSES) == set(ERROR_CLASSES)
