"""Link analyzer: analyses by url_hash, media by content hash, cost per model call, calls saved.

Revision ID: 0008_links
Revises: 0007_meari
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008_links"
down_revision = "0007_meari"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "link_analyses",
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(length=12), nullable=False),
        sa.Column("meta", JSON, nullable=True),
        sa.Column("media", JSON, nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("ai_analysis", JSON, nullable=True),
        sa.Column("ai_status", sa.String(length=12), nullable=True),
        sa.Column("ai_model", sa.String(length=64), nullable=True),
        sa.Column("ai_error", sa.String(length=64), nullable=True),
        sa.Column("ai_expires_at", sa.DateTime(), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("job_claimed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ai_status IS NULL OR ai_status IN ('done', 'unavailable', 'failed')",
                           name=op.f("ck_link_analyses_ai_status_valid")),
        sa.CheckConstraint("platform IN ('youtube', 'instagram', 'tiktok', 'blog', 'generic')",
                           name=op.f("ck_link_analyses_platform_valid")),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_link_analyses")),
    )
    op.create_index("ix_link_analyses_expires", "link_analyses", ["expires_at"])
    op.create_table(
        "link_media",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("analysis", JSON, nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("analysed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", name=op.f("pk_link_media")),
    )
    op.create_table(
        "link_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("media", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_costs")),
    )
    op.create_index("ix_link_costs_at", "link_costs", ["at"])
    op.create_index("ix_link_costs_url_hash", "link_costs", ["url_hash"])
    op.create_table(
        "link_savings",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.CheckConstraint("reason IN ('cache', 'batching', 'dedupe')", name=op.f("ck_link_savings_reason_valid")),
        sa.PrimaryKeyConstraint("day", "reason", name=op.f("pk_link_savings")),
    )
    op.create_table(
        "link_requests",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_link_requests_job_id_jobs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_link_requests_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "user_id", name=op.f("pk_link_requests")),
    )


def downgrade():
    op.drop_table("link_requests")
    op.drop_table("link_savings")
    op.drop_index("ix_link_costs_url_hash", table_name="link_costs")
    op.drop_index("ix_link_costs_at", table_name="link_costs")
    op.drop_table("link_costs")
    op.drop_table("link_media")
    op.drop_index("ix_link_analyses_expires", table_name="link_analyses")
    op.drop_table("link_analyses")
