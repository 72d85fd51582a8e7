"""Menu: canonical dishes, modifiers, shops, scan logs, AI discoveries; the `shop` role.

Revision ID: 0010_menu
Revises: 0009_notifications
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010_menu"
down_revision = "0009_notifications"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
CATEGORIES = ("stew", "soup", "rice", "noodles", "grilled", "braised", "stir_fried", "fried", "pancake", "side",
              "raw", "porridge", "street", "dumpling", "dessert", "drink", "other")
QUEUED = "status IS NOT NULL"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _roles(values) -> None:
    # The users.role CHECK lists the Role vocabulary (0003): replace it with one that knows `shop`.
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role_valid"), _in("role", values))


def upgrade():
    _roles(("user", "chef", "admin", "shop"))
    op.create_table(
        "canonical_menus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_ko", sa.String(length=100), nullable=False),
        sa.Column("romanization", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("spice_level", sa.SmallInteger(), nullable=False),
        sa.Column("allergens", JSON, nullable=False),
        *[sa.Column(f"name_{lang}", sa.String(length=200), nullable=True) for lang in ("en", "ja", "zh")],
        *[sa.Column(f"short_{lang}", sa.String(length=400), nullable=True) for lang in ("en", "ja", "zh")],
        *[sa.Column(f"long_{lang}", sa.Text(), nullable=True) for lang in ("en", "ja", "zh")],
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("category", CATEGORIES), name=op.f("ck_canonical_menus_category_valid")),
        sa.CheckConstraint("spice_level BETWEEN 0 AND 3", name=op.f("ck_canonical_menus_spice_level_valid")),
        sa.CheckConstraint(_in("source", ("seed", "shop")), name=op.f("ck_canonical_menus_source_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canonical_menus")),
        sa.UniqueConstraint("name_ko", name=op.f("uq_canonical_menus_name_ko")),
    )
    op.create_table(
        "menu_modifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_ko", sa.String(length=40), nullable=False),
        sa.Column("position", sa.String(length=8), nullable=False),
        sa.Column("romanization", sa.String(length=80), nullable=False),
        *[sa.Column(f"name_{lang}", sa.String(length=80), nullable=False) for lang in ("en", "ja", "zh")],
        *[sa.Column(f"note_{lang}", sa.String(length=200), nullable=False) for lang in ("en", "ja", "zh")],
        sa.Column("allergens", JSON, nullable=False),
        sa.Column("spice_delta", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(_in("position", ("prefix", "suffix")), name=op.f("ck_menu_modifiers_position_valid")),
        sa.CheckConstraint("spice_delta BETWEEN -3 AND 3", name=op.f("ck_menu_modifiers_spice_delta_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_modifiers")),
        sa.UniqueConstraint("name_ko", name=op.f("uq_menu_modifiers_name_ko")),
    )
    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_shops_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
    )
    op.create_index(op.f("ix_shops_owner_id"), "shops", ["owner_id"])
    op.create_table(
        "scan_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("menu_name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("match_type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("canonical_menu_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("source", ("identify", "shop")), name=op.f("ck_scan_logs_source_valid")),
        sa.CheckConstraint(_in("match_type", ("exact", "modifier", "ai", "none")),
                           name=op.f("ck_scan_logs_match_type_valid")),
        sa.CheckConstraint(f"status IS NULL OR {_in('status', ('pending', 'approved', 'rejected'))}",
                           name=op.f("ck_scan_logs_status_valid")),
        sa.CheckConstraint("(source = 'shop') = (status IS NOT NULL)", name=op.f("ck_scan_logs_status_iff_shop")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_scan_logs_shop_id_shops"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["canonical_menu_id"], ["canonical_menus.id"],
                                name=op.f("fk_scan_logs_canonical_menu_id_canonical_menus"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"], name=op.f("fk_scan_logs_submitted_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_scan_logs_reviewed_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_logs")),
    )
    op.create_index("ix_scan_logs_status_id", "scan_logs", ["status", "id"], sqlite_where=sa.text(QUEUED),
                    postgresql_where=sa.text(QUEUED))
    op.create_index("ix_scan_logs_shop_id_created_at", "scan_logs", ["shop_id", "created_at"])
    op.create_table(
        "menu_discoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_discoveries")),
        sa.UniqueConstraint("name_key", name=op.f("uq_menu_discoveries_name_key")),
    )
    op.create_table(
        "menu_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_menu_counters")),
    )


def downgrade():
    op.drop_table("menu_counters")
    op.drop_table("menu_discoveries")
    op.drop_index("ix_scan_logs_shop_id_created_at", table_name="scan_logs")
    op.drop_index("ix_scan_logs_status_id", table_name="scan_logs")
    op.drop_table("scan_logs")
    op.drop_index(op.f("ix_shops_owner_id"), table_name="shops")
    op.drop_table("shops")
    op.drop_table("menu_modifiers")
    op.drop_table("canonical_menus")
    op.execute("UPDATE users SET role = 'user' WHERE role = 'shop'")  # the narrower CHECK cannot hold them
    _roles(("user", "chef", "admin"))
