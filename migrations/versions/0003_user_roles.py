"""Users' role is one of the Role vocabulary (backend.common.actor.Role), held by a CHECK.

Revision ID: 0003_user_roles
Revises: 0002_indexes
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003_user_roles"
down_revision = "0002_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.create_check_constraint(op.f("ck_users_role_valid"), "role IN ('user', 'chef', 'admin')")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role_valid"), type_="check")
