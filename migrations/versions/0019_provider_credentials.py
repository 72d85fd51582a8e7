"""Provider credentials set by admins (encrypted API keys overriding configuration).

Revision ID: 0019_provider_credentials
Revises: 0018_campaign_images
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_provider_credentials"
down_revision = "0018_campaign_images"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("api_key", sa.Text(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_provider_credentials_updated_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_credentials")),
        sa.UniqueConstraint("provider", name=op.f("uq_provider_credentials_provider")),
    )


def downgrade():
    op.drop_table("provider_credentials")
