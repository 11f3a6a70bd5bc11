from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from naltrack.domain.security.roles import (
    ACTIONS,
    CATEGORIES,
    CLINICAL_CATEGORIES,
    MATRIX,
    MATRIX_ROLES,
    ROLES,
    AccessDenied,
    is_permitted,
    matrix_table,
    require_permitted,
)


def test_front_desk_sees_demographics_and_schedule_only() -> None:
    readable = {c for c in CATEGORIES if is_permitted("front-desk", c, "read")}
    assert readable == {"demographics", "schedule", "contact"}  # contact: consent to reminders, not clinical


def test_counselor_sees_questionnaires_and_counseling_not_injections_labs_or_screens() -> None:
    assert is_permitted("counselor", "questionnaires", "read")
    assert is_permitted("counselor", "counseling", "create")
    for category in ("administrations", "labs", "urine-screens", "regimens"):
        assert not is_permitted("counselor", category, "read")


def test_auditor_sees_audit_and_consents_but_no_clinical_content() -> None:
    assert is_permitted("auditor", "audit", "read")
    assert is_permitted("auditor", "consents", "read")
    assert not any(is_permitted("auditor", c, a) for c in CLINICAL_CATEGORIES for a in ACTIONS)


def test_only_the_auditor_reads_the_audit_log_and_nobody_writes_it() -> None:
    assert [r for r in ROLES if is_permitted(r, "audit", "read")] == ["auditor"]
    assert not any(is_permitted(r, "audit", a) for r in ROLES for a in ("create", "update", "retract"))


def test_admin_manages_users_but_reads_no_clinical_record() -> None:
    assert is_permitted("admin", "users", "create")
    clinical = [c for c in CLINICAL_CATEGORIES if c not in ("demographics", "schedule")]
    assert not any(is_permitted("admin", c, "read") for c in clinical)


def test_only_the_prescriber_discloses() -> None:
    assert [r for r in ROLES if is_permitted(r, "disclosures", "disclose")] == ["prescriber"]


@given(st.text(max_size=12), st.sampled_from(CATEGORIES), st.sampled_from(ACTIONS))
def test_unknown_roles_are_never_permitted(role: str, category: str, action: str) -> None:
    if role not in ROLES:
        assert not is_permitted(role, category, action)


@given(st.sampled_from(ROLES), st.sampled_from(CATEGORIES), st.sampled_from(ACTIONS))
def test_writing_implies_reading(role: str, category: str, action: str) -> None:
    if is_permitted(role, category, action):
        assert is_permitted(role, category, "read")


def test_require_permitted_names_role_action_and_category() -> None:
    with pytest.raises(AccessDenied, match="role 'front-desk' may not read labs"):
        require_permitted("front-desk", "labs", "read")


def test_matrix_table_has_a_row_per_category_and_a_column_per_role() -> None:
    lines = matrix_table().splitlines()
    assert len(lines) == 2 + len(CATEGORIES)
    assert lines[0].count("|") == len(MATRIX_ROLES) + 2
    assert "| labs | - | rcux | rcux | - | - | - | - | - |" in lines


def test_every_role_has_every_category() -> None:
    assert set(MATRIX) == set(MATRIX_ROLES) == {*ROLES, "patient"}
    for row in MATRIX.values():
        assert set(row) == set(CATEGORIES)


def test_the_manager_reads_the_program_measures_and_nothing_else() -> None:
    granted = {(c, a) for c in CATEGORIES for a in ACTIONS if is_permitted("manager", c, a)}
    assert granted == {("program-measures", "read")}


def test_program_measures_are_read_by_the_manager_and_the_prescriber_and_written_by_nobody() -> None:
    assert [r for r in ROLES if is_permitted(r, "program-measures", "read")] == ["prescriber", "manager"]
    assert not any(is_permitted(r, "program-measures", a) for r in ROLES for a in ACTIONS if a != "read")
    assert "program-measures" not in CLINICAL_CATEGORIES
