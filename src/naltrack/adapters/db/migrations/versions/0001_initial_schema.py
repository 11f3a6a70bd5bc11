# ruff: noqa: E501  (generated DDL, one column per line)
"""Initial schema: clinics, patients and one table per clinical record type.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:00:18.442978
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('clinics',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinics'))
    )
    op.create_table('patients',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('clinic_id', sa.String(length=64), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex_at_birth', sa.String(length=16), nullable=False),
    sa.Column('gender', sa.String(length=64), nullable=True),
    sa.Column('mrn', sa.String(length=64), nullable=True),
    sa.Column('pregnant', sa.Boolean(), nullable=True),
    sa.Column('breastfeeding', sa.Boolean(), nullable=True),
    sa.Column('reproductive_as_of', sa.Date(), nullable=True),
    sa.Column('contacts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patients_clinic_id_clinics')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('clinic_id', 'mrn', name=op.f('uq_patients_clinic_id_mrn'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patients_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patients_clinic_id_family_name_given_name'), ['clinic_id', 'family_name', 'given_name'], unique=False)

    op.create_table('allergies',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('substance', sa.String(length=40), nullable=False),
    sa.Column('reaction', sa.String(length=200), nullable=True),
    sa.Column('criticality', sa.String(length=20), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_allergies_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['allergies.id'], name=op.f('fk_allergies_supersedes_allergies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergies'))
    )
    with op.batch_alter_table('allergies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergies_patient_id'), ['patient_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('appointment_status', sa.String(length=16), nullable=False),
    sa.Column('clinician', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_appointments_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['appointments.id'], name=op.f('fk_appointments_supersedes_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_patient_id_starts_at'), ['patient_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_starts_at'), ['starts_at'], unique=False)

    op.create_table('care_documents',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_care_documents_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['care_documents.id'], name=op.f('fk_care_documents_supersedes_care_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_documents'))
    )
    with op.batch_alter_table('care_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_documents_patient_id'), ['patient_id'], unique=False)

    op.create_table('counseling_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('counselor', sa.String(length=100), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('group_id', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_counseling_sessions_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['counseling_sessions.id'], name=op.f('fk_counseling_sessions_supersedes_counseling_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counseling_sessions'))
    )
    with op.batch_alter_table('counseling_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counseling_sessions_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_counseling_sessions_patient_id_held_on'), ['patient_id', 'held_on'], unique=False)

    op.create_table('diagnoses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('display', sa.String(length=200), nullable=False),
    sa.Column('onset', sa.Date(), nullable=True),
    sa.Column('clinical_status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_diagnoses_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['diagnoses.id'], name=op.f('fk_diagnoses_supersedes_diagnoses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnoses'))
    )
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnoses_patient_id'), ['patient_id'], unique=False)

    op.create_table('drinking_days',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('standard_drinks', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_drinking_days_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['drinking_days.id'], name=op.f('fk_drinking_days_supersedes_drinking_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drinking_days'))
    )
    with op.batch_alter_table('drinking_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drinking_days_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drinking_days_patient_id_day'), ['patient_id', 'day'], unique=False)

    op.create_table('episodes',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('indication', sa.String(length=16), nullable=False),
    sa.Column('level_of_care', sa.String(length=16), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('discharge_reason', sa.String(length=32), nullable=True),
    sa.Column('referral_source', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_episodes_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['episodes.id'], name=op.f('fk_episodes_supersedes_episodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episodes'))
    )
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episodes_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_episodes_patient_id_start'), ['patient_id', 'start'], unique=False)

    op.create_table('lab_results',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('loinc', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reference_low', sa.Float(), nullable=True),
    sa.Column('reference_high', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_lab_results_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['lab_results.id'], name=op.f('fk_lab_results_supersedes_lab_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_results'))
    )
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_results_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_results_patient_id_loinc_collected_at'), ['patient_id', 'loinc', 'collected_at'], unique=False)

    op.create_table('medication_uses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rxnorm', sa.String(length=32), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('last_dose', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('days_supply', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_medication_uses_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['medication_uses.id'], name=op.f('fk_medication_uses_supersedes_medication_uses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication_uses'))
    )
    with op.batch_alter_table('medication_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medication_uses_patient_id'), ['patient_id'], unique=False)

    op.create_table('naloxone_challenges',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('performed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('route', sa.String(length=8), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('signs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_naloxone_challenges_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['naloxone_challenges.id'], name=op.f('fk_naloxone_challenges_supersedes_naloxone_challenges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_naloxone_challenges'))
    )
    with op.batch_alter_table('naloxone_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_naloxone_challenges_patient_id'), ['patient_id'], unique=False)

    op.create_table('planned_procedures',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_planned_procedures_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['planned_procedures.id'], name=op.f('fk_planned_procedures_supersedes_planned_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_procedures'))
    )
    with op.batch_alter_table('planned_procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_procedures_patient_id'), ['patient_id'], unique=False)

    op.create_table('questionnaire_responses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=40), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('band', sa.String(length=64), nullable=False),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_questionnaire_responses_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['questionnaire_responses.id'], name=op.f('fk_questionnaire_responses_supersedes_questionnaire_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_responses'))
    )
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_responses_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_responses_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_responses_patient_id_instrument_completed_at'), ['patient_id', 'instrument', 'completed_at'], unique=False)

    op.create_table('regimens',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('dose_mg', sa.Float(), nullable=False),
    sa.Column('schedule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=True),
    sa.Column('expected_duration_days', sa.Integer(), nullable=True),
    sa.Column('implant_product', sa.String(length=200), nullable=True),
    sa.Column('induction_test_dose', sa.Boolean(), nullable=False),
    sa.Column('prescriber', sa.String(length=100), nullable=True),
    sa.Column('rxnorm', sa.String(length=32), nullable=True),
    sa.Column('days_supply', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_regimens_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['regimens.id'], name=op.f('fk_regimens_supersedes_regimens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regimens'))
    )
    with op.batch_alter_table('regimens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regimens_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_regimens_patient_id_start'), ['patient_id', 'start'], unique=False)

    op.create_table('substance_use_reports',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('substance', sa.String(length=32), nullable=False),
    sa.Column('last_use', sa.Date(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('route', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_substance_use_reports_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['substance_use_reports.id'], name=op.f('fk_substance_use_reports_supersedes_substance_use_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_substance_use_reports'))
    )
    with op.batch_alter_table('substance_use_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_substance_use_reports_patient_id'), ['patient_id'], unique=False)

    op.create_table('support_group_attendance',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fellowship', sa.String(length=16), nullable=False),
    sa.Column('attended_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_support_group_attendance_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['support_group_attendance.id'], name=op.f('fk_support_group_attendance_supersedes_support_group_attendance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_group_attendance'))
    )
    with op.batch_alter_table('support_group_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_group_attendance_patient_id'), ['patient_id'], unique=False)

    op.create_table('urine_drug_screens',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('point_of_care', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_urine_drug_screens_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['urine_drug_screens.id'], name=op.f('fk_urine_drug_screens_supersedes_urine_drug_screens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_urine_drug_screens'))
    )
    with op.batch_alter_table('urine_drug_screens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_urine_drug_screens_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_urine_drug_screens_patient_id_collected_at'), ['patient_id', 'collected_at'], unique=False)

    op.create_table('implant_insertions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('inserted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dose_mg', sa.Float(), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('inserted_by', sa.String(length=100), nullable=False),
    sa.Column('expected_duration_days', sa.Integer(), nullable=True),
    sa.Column('site', sa.String(length=100), nullable=False),
    sa.Column('lot', sa.String(length=40), nullable=True),
    sa.Column('regimen_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_implant_insertions_patient_id_patients')),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimens.id'], name=op.f('fk_implant_insertions_regimen_id_regimens')),
    sa.ForeignKeyConstraint(['supersedes'], ['implant_insertions.id'], name=op.f('fk_implant_insertions_supersedes_implant_insertions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implant_insertions'))
    )
    with op.batch_alter_table('implant_insertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_implant_insertions_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_implant_insertions_patient_id_inserted_at'), ['patient_id', 'inserted_at'], unique=False)

    op.create_table('injections',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('lot', sa.String(length=40), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('needle_length_in', sa.Float(), nullable=False),
    sa.Column('given_by', sa.String(length=100), nullable=False),
    sa.Column('dose_mg', sa.Float(), nullable=False),
    sa.Column('regimen_id', sa.String(length=64), nullable=True),
    sa.Column('rxnorm', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_injections_patient_id_patients')),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimens.id'], name=op.f('fk_injections_regimen_id_regimens')),
    sa.ForeignKeyConstraint(['supersedes'], ['injections.id'], name=op.f('fk_injections_supersedes_injections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_injections'))
    )
    with op.batch_alter_table('injections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_injections_given_at'), ['given_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_injections_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_injections_patient_id_given_at'), ['patient_id', 'given_at'], unique=False)

    op.create_table('oral_doses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dose_mg', sa.Float(), nullable=False),
    sa.Column('dose_status', sa.String(length=16), nullable=False),
    sa.Column('regimen_id', sa.String(length=64), nullable=True),
    sa.Column('observed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_oral_doses_patient_id_patients')),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimens.id'], name=op.f('fk_oral_doses_regimen_id_regimens')),
    sa.ForeignKeyConstraint(['supersedes'], ['oral_doses.id'], name=op.f('fk_oral_doses_supersedes_oral_doses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oral_doses'))
    )
    with op.batch_alter_table('oral_doses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oral_doses_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oral_doses_patient_id_taken_at'), ['patient_id', 'taken_at'], unique=False)

    op.create_table('adverse_events',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('onset', sa.Date(), nullable=False),
    sa.Column('ctcae_grade', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('injection_id', sa.String(length=64), nullable=True),
    sa.Column('site_side', sa.String(length=8), nullable=True),
    sa.Column('site_induration_cm', sa.Float(), nullable=True),
    sa.Column('site_necrosis', sa.Boolean(), nullable=True),
    sa.Column('site_surgical_referral', sa.Boolean(), nullable=True),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['injection_id'], ['injections.id'], name=op.f('fk_adverse_events_injection_id_injections')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_adverse_events_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['adverse_events.id'], name=op.f('fk_adverse_events_supersedes_adverse_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_events'))
    )
    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_events_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adverse_events_patient_id_onset'), ['patient_id', 'onset'], unique=False)

    op.create_table('implant_removals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('supersedes', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('implant_id', sa.String(length=64), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('removed_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['implant_id'], ['implant_insertions.id'], name=op.f('fk_implant_removals_implant_id_implant_insertions')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_implant_removals_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes'], ['implant_removals.id'], name=op.f('fk_implant_removals_supersedes_implant_removals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implant_removals'))
    )
    with op.batch_alter_table('implant_removals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_implant_removals_patient_id'), ['patient_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('implant_removals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_implant_removals_patient_id'))

    op.drop_table('implant_removals')
    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_events_patient_id_onset'))
        batch_op.drop_index(batch_op.f('ix_adverse_events_patient_id'))

    op.drop_table('adverse_events')
    with op.batch_alter_table('oral_doses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oral_doses_patient_id_taken_at'))
        batch_op.drop_index(batch_op.f('ix_oral_doses_patient_id'))

    op.drop_table('oral_doses')
    with op.batch_alter_table('injections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_injections_patient_id_given_at'))
        batch_op.drop_index(batch_op.f('ix_injections_patient_id'))
        batch_op.drop_index(batch_op.f('ix_injections_given_at'))

    op.drop_table('injections')
    with op.batch_alter_table('implant_insertions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_implant_insertions_patient_id_inserted_at'))
        batch_op.drop_index(batch_op.f('ix_implant_insertions_patient_id'))

    op.drop_table('implant_insertions')
    with op.batch_alter_table('urine_drug_screens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_urine_drug_screens_patient_id_collected_at'))
        batch_op.drop_index(batch_op.f('ix_urine_drug_screens_patient_id'))

    op.drop_table('urine_drug_screens')
    with op.batch_alter_table('support_group_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_group_attendance_patient_id'))

    op.drop_table('support_group_attendance')
    with op.batch_alter_table('substance_use_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_substance_use_reports_patient_id'))

    op.drop_table('substance_use_reports')
    with op.batch_alter_table('regimens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regimens_patient_id_start'))
        batch_op.drop_index(batch_op.f('ix_regimens_patient_id'))

    op.drop_table('regimens')
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_responses_patient_id_instrument_completed_at'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_responses_patient_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_responses_completed_at'))

    op.drop_table('questionnaire_responses')
    with op.batch_alter_table('planned_procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planned_procedures_patient_id'))

    op.drop_table('planned_procedures')
    with op.batch_alter_table('naloxone_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_naloxone_challenges_patient_id'))

    op.drop_table('naloxone_challenges')
    with op.batch_alter_table('medication_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medication_uses_patient_id'))

    op.drop_table('medication_uses')
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_results_patient_id_loinc_collected_at'))
        batch_op.drop_index(batch_op.f('ix_lab_results_patient_id'))

    op.drop_table('lab_results')
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episodes_patient_id_start'))
        batch_op.drop_index(batch_op.f('ix_episodes_patient_id'))

    op.drop_table('episodes')
    with op.batch_alter_table('drinking_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drinking_days_patient_id_day'))
        batch_op.drop_index(batch_op.f('ix_drinking_days_patient_id'))

    op.drop_table('drinking_days')
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnoses_patient_id'))

    op.drop_table('diagnoses')
    with op.batch_alter_table('counseling_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counseling_sessions_patient_id_held_on'))
        batch_op.drop_index(batch_op.f('ix_counseling_sessions_patient_id'))

    op.drop_table('counseling_sessions')
    with op.batch_alter_table('care_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_documents_patient_id'))

    op.drop_table('care_documents')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointments_patient_id_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointments_patient_id'))

    op.drop_table('appointments')
    with op.batch_alter_table('allergies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergies_patient_id'))

    op.drop_table('allergies')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_clinic_id_family_name_given_name'))
        batch_op.drop_index(batch_op.f('ix_patients_clinic_id'))

    op.drop_table('patients')
    op.drop_table('clinics')
    
