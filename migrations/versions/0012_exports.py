"""Dashboards and exports: chef-detail view counts, exports, and the period indexes of the admin KPIs.

Revision ID: 0012_exports
Revises: 0011_assets
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012_exports"
down_revision = "0011_assets"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
STATUSES = ("queued", "running", "ready", "failed", "expired")
READY_ROWS = "status = 'ready'"


def upgrade():
    op.create_table(
        "chef_views",
        sa.Column("chef_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chef_id", "day", name=op.f("pk_chef_views")),
    )
    op.create_index("ix_chef_views_day", "chef_views", ["day"])
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("stored_name", sa.String(length=80), nullable=True),
        sa.Column("content_type", sa.String(length=80), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name=op.f("ck_exports_status_valid")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_exports_job_id_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_exports_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    op.create_index("ix_exports_user_created", "exports", ["user_id", "created_at", "id"])
    op.create_index("ix_exports_ready_expires", "exports", ["expires_at"],
                    sqlite_where=sa.text(READY_ROWS), postgresql_where=sa.text(READY_ROWS))
    op.create_index("ix_exports_job", "exports", ["job_id"])
    op.create_index("ix_bookings_created_at", "bookings", ["created_at", "status", "price"])  # covering
    op.create_index("ix_users_created_at", "users", ["created_at"])


def downgrade():
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_bookings_created_at", table_name="bookings")
    op.drop_index("ix_exports_job", table_name="exports")
    op.drop_index("ix_exports_ready_expires", table_name="exports")
    op.drop_index("ix_exports_user_created", table_name="exports")
    op.drop_table("exports")
    op.drop_index("ix_chef_views_day", table_name="chef_views")
    op.drop_table("chef_views")
