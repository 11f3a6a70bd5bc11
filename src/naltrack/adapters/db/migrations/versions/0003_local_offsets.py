"""Keep the UTC offset each clinical time was recorded with, so it comes back on the same local date.

Revision ID: 0003_local_offsets
Revises: 0002_security
Create Date: 2026-11-22 05:32:13.846153
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_local_offsets'
down_revision: str | None = '0002_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('allergies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('starts_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('care_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('counseling_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('drinking_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('implant_insertions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('inserted_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('implant_removals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('removed_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('injections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('given_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('collected_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('medication_uses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('naloxone_challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('performed_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('oral_doses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taken_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('planned_procedures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completed_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('regimens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('substance_use_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('support_group_attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))

    with op.batch_alter_table('urine_drug_screens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_utc_offset_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('collected_at_utc_offset_s', sa.Integer(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('urine_drug_screens', schema=None) as batch_op:
        batch_op.drop_column('collected_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('support_group_attendance', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('substance_use_reports', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('regimens', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_column('completed_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('planned_procedures', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('oral_doses', schema=None) as batch_op:
        batch_op.drop_column('taken_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('naloxone_challenges', schema=None) as batch_op:
        batch_op.drop_column('performed_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('medication_uses', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.drop_column('collected_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('injections', schema=None) as batch_op:
        batch_op.drop_column('given_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('implant_removals', schema=None) as batch_op:
        batch_op.drop_column('removed_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('implant_insertions', schema=None) as batch_op:
        batch_op.drop_column('inserted_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('drinking_days', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('counseling_sessions', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('care_documents', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('starts_at_utc_offset_s')
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('allergies', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')

    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.drop_column('recorded_at_utc_offset_s')


