"""Image assets, and chef profiles' avatar_asset_id.

Revision ID: 0011_assets
Revises: 0010_menu
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_assets"
down_revision = "0010_menu"
branch_labels = None
depends_on = None


def _restore_expression_indexes() -> None:
    """SQLite only: a batch copy of chefs loses the lower(...) indexes of 0002_indexes; make them again."""
    for name, column in (("ix_chefs_cuisine_lower", "cuisine_type"), ("ix_chefs_location_lower", "location")):
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.create_index(name, "chefs", [sa.text(f"lower({column})"), "rating", "id"])


def upgrade():
    op.create_table(
        "assets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("format IN ('JPEG', 'PNG', 'WEBP')", name=op.f("ck_assets_format_valid")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_assets_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index("ix_assets_owner_created", "assets", ["owner_id", "created_at", "id"])
    op.create_index("ix_assets_content_hash", "assets", ["content_hash"])
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot add a foreign key to a table: copy the table with it (a batch), then put back
        # the expression indexes the copy cannot carry over (0002_indexes made them).
        with op.batch_alter_table("chefs", recreate="always") as batch:
            batch.add_column(sa.Column("avatar_asset_id", sa.String(length=36), nullable=True))
            batch.create_foreign_key(op.f("fk_chefs_avatar_asset_id_assets"), "assets", ["avatar_asset_id"],
                                     ["id"], ondelete="SET NULL")
        _restore_expression_indexes()
    else:
        op.add_column("chefs", sa.Column("avatar_asset_id", sa.String(length=36), nullable=True))
        op.create_foreign_key(op.f("fk_chefs_avatar_asset_id_assets"), "chefs", "assets", ["avatar_asset_id"],
                              ["id"], ondelete="SET NULL")
    op.create_index("ix_chefs_avatar_asset_id", "chefs", ["avatar_asset_id"])


def downgrade():
    op.drop_index("ix_chefs_avatar_asset_id", table_name="chefs")
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot drop a column that is in a foreign key: copy the table without it.
        with op.batch_alter_table("chefs", recreate="always") as batch:
            batch.drop_column("avatar_asset_id")
        _restore_expression_indexes()
    else:
        op.drop_constraint(op.f("fk_chefs_avatar_asset_id_assets"), "chefs", type_="foreignkey")
        op.drop_column("chefs", "avatar_asset_id")
    op.drop_index("ix_assets_content_hash", table_name="assets")
    op.drop_index("ix_assets_owner_created", table_name="assets")
    op.drop_table("assets")
