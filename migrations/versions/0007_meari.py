"""Meari sessions and their cards.

Revision ID: 0007_meari
Revises: 0006_jobs
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007_meari"
down_revision = "0006_jobs"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "meari_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("persona", JSON, nullable=True),
        sa.Column("generator", sa.String(length=16), nullable=True),
        sa.Column("external", JSON, nullable=True),
        sa.Column("timings", JSON, nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('processing', 'ready', 'failed')", name=op.f("ck_meari_sessions_status_valid")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_meari_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_meari_sessions_job_id_jobs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meari_sessions")),
    )
    op.create_index("ix_meari_sessions_user_created", "meari_sessions", ["user_id", "created_at", "id"])
    op.create_index("ix_meari_sessions_job", "meari_sessions", ["job_id"])
    op.create_table(
        "meari_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('reflection', 'action', 'question', 'resource')",
                           name=op.f("ck_meari_cards_kind_valid")),
        sa.ForeignKeyConstraint(["session_id"], ["meari_sessions.id"],
                                name=op.f("fk_meari_cards_session_id_meari_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meari_cards")),
    )
    op.create_index("uq_meari_cards_session_position", "meari_cards", ["session_id", "position"], unique=True)


def downgrade():
    op.drop_index("uq_meari_cards_session_position", table_name="meari_cards")
    op.drop_table("meari_cards")
    op.drop_index("ix_meari_sessions_job", table_name="meari_sessions")
    op.drop_index("ix_meari_sessions_user_created", table_name="meari_sessions")
    op.drop_table("meari_sessions")
