"""Indexes for every filter, sort and join the endpoints use (checked with EXPLAIN in tests).

Revision ID: 0002_indexes
Revises: 0001_schema
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_indexes"
down_revision = "0001_schema"
branch_labels = None
depends_on = None

INDEXES = [
    # auth: tokens of a user (cascade deletes, admin views)
    ("ix_auth_tokens_user_id", "auth_tokens", ["user_id"]),
    # chef list: active chefs by each sort, keyset on (sort column, id)
    ("ix_chefs_active_rating", "chefs", ["is_active", "rating", "id"]),
    ("ix_chefs_active_price", "chefs", ["is_active", "price_per_session", "id"]),
    ("ix_chefs_active_created", "chefs", ["is_active", "created_at", "id"]),
    # case-insensitive cuisine / location filters, then the default sort
    ("ix_chefs_cuisine_lower", "chefs", [sa.text("lower(cuisine_type)"), "rating", "id"]),
    ("ix_chefs_location_lower", "chefs", [sa.text("lower(location)"), "rating", "id"]),
    # my bookings (newest first) as a user and as a chef
    ("ix_bookings_user_id_id", "bookings", ["user_id", "id"]),
    ("ix_bookings_chef_id_id", "bookings", ["chef_id", "id"]),
    # a chef's latest reviews
    ("ix_reviews_chef_created", "reviews", ["chef_id", "created_at", "id"]),
    # the product catalogue
    ("ix_products_active_price", "products", ["is_active", "price", "id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
