"""Campaigns reference an image asset: campaigns.image_asset_id.

Revision ID: 0018_campaign_images
Revises: 0017_campaigns_scenarios
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_campaign_images"
down_revision = "0017_campaigns_scenarios"
branch_labels = None
depends_on = None

FK = "fk_campaigns_image_asset_id_assets"
# (name, sort column) of 0017's lower(brand) indexes, which a SQLite batch copy cannot carry over.
BRAND_INDEXES = (("ix_campaigns_brand_lower", "deadline"), ("ix_campaigns_brand_reward", "reward"),
                 ("ix_campaigns_brand_created", "created_at"))


def _restore_expression_indexes() -> None:
    for name, column in BRAND_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.create_index(name, "campaigns", [sa.text("lower(brand)"), "status", column, "id"])


def upgrade():
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot add a foreign key to a table: copy the table with it (as 0011 did for chefs).
        with op.batch_alter_table("campaigns", recreate="always") as batch:
            batch.add_column(sa.Column("image_asset_id", sa.String(length=36), nullable=True))
            batch.create_foreign_key(op.f(FK), "assets", ["image_asset_id"], ["id"], ondelete="SET NULL")
        _restore_expression_indexes()
    else:
        op.add_column("campaigns", sa.Column("image_asset_id", sa.String(length=36), nullable=True))
        op.create_foreign_key(op.f(FK), "campaigns", "assets", ["image_asset_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_campaigns_image_asset_id", "campaigns", ["image_asset_id"])


def downgrade():
    op.drop_index("ix_campaigns_image_asset_id", table_name="campaigns")
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("campaigns", recreate="always") as batch:
            batch.drop_column("image_asset_id")
        _restore_expression_indexes()
    else:
        op.drop_constraint(op.f(FK), "campaigns", type_="foreignkey")
        op.drop_column("campaigns", "image_asset_id")
