"""Menu aliases: other spellings of a canonical dish, recorded by approving a shop scan with a link.

Revision ID: 0020_menu_aliases
Revises: 0019_provider_credentials
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_menu_aliases"
down_revision = "0019_provider_credentials"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "menu_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("canonical_menu_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["canonical_menu_id"], ["canonical_menus.id"],
                                name=op.f("fk_menu_aliases_canonical_menu_id_canonical_menus"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_aliases")),
        sa.UniqueConstraint("name_key", name=op.f("uq_menu_aliases_name_key")),
    )
    op.create_index("ix_menu_aliases_canonical_menu_id", "menu_aliases", ["canonical_menu_id"])


def downgrade():
    op.drop_index("ix_menu_aliases_canonical_menu_id", table_name="menu_aliases")
    op.drop_table("menu_aliases")
