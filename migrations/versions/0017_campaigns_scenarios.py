"""Review campaigns (campaigns, applications, the open counter) and AI-automation scenarios
(scenarios, ai_employees, ai_employee_runs).

Revision ID: 0017_campaigns_scenarios
Revises: 0016_apikeys_sns
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017_campaigns_scenarios"
down_revision = "0016_apikeys_sns"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _created_updated():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)]


def _campaigns():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=80), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reward", sa.Integer(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("approved_count", sa.Integer(), nullable=False),
        sa.Column("applications_count", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        *_created_updated(),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_campaigns_status_valid")),
        sa.CheckConstraint("reward >= 0", name=op.f("ck_campaigns_reward_non_negative")),
        sa.CheckConstraint("slots >= 1", name=op.f("ck_campaigns_slots_positive")),
        sa.CheckConstraint("approved_count >= 0 AND approved_count <= slots",
                           name=op.f("ck_campaigns_approvals_within_slots")),
        sa.CheckConstraint("applications_count >= 0", name=op.f("ck_campaigns_applications_non_negative")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_campaigns_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_status_deadline", "campaigns", ["status", "deadline", "id"])
    op.create_index("ix_campaigns_status_reward", "campaigns", ["status", "reward", "id"])
    op.create_index("ix_campaigns_status_created", "campaigns", ["status", "created_at", "id"])
    op.create_index("ix_campaigns_brand_lower", "campaigns", [sa.text("lower(brand)"), "status", "deadline", "id"])
    op.create_index("ix_campaigns_brand_reward", "campaigns", [sa.text("lower(brand)"), "status", "reward", "id"])
    op.create_index("ix_campaigns_brand_created", "campaigns", [sa.text("lower(brand)"), "status", "created_at", "id"])
    op.create_index("ix_campaigns_owner_id_id", "campaigns", ["owner_id", "id"])
    op.create_table(
        "campaign_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("review_url", sa.String(length=2048), nullable=True),
        *_created_updated(),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'completed')",
                           name=op.f("ck_campaign_applications_status_valid")),
        sa.CheckConstraint("status <> 'completed' OR review_url IS NOT NULL",
                           name=op.f("ck_campaign_applications_completed_has_review")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_applications_campaign_id_campaigns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_campaign_applications_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_applications")),
        sa.UniqueConstraint("campaign_id", "user_id", name="uq_campaign_applications_campaign_user"),
    )
    op.create_index("ix_campaign_applications_campaign_id_id", "campaign_applications", ["campaign_id", "id"])
    op.create_index("ix_campaign_applications_campaign_status", "campaign_applications",
                    ["campaign_id", "status", "id"])
    op.create_index("ix_campaign_applications_user_id_id", "campaign_applications", ["user_id", "id"])
    op.create_table(
        "campaign_counters",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_campaign_counters_single_row")),
        sa.CheckConstraint("open_count >= 0", name=op.f("ck_campaign_counters_open_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_counters")),
    )


def _scenarios():
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("steps", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
        sa.UniqueConstraint("slug", name=op.f("uq_scenarios_slug")),
    )
    op.create_index("ix_scenarios_category_id", "scenarios", ["category", "id"])
    op.create_table(
        "ai_employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=120), nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("runs_count", sa.Integer(), nullable=False),
        *_created_updated(),
        sa.CheckConstraint("status IN ('active', 'paused')", name=op.f("ck_ai_employees_status_valid")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_ai_employees_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], name=op.f("fk_ai_employees_scenario_id_scenarios"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_employees")),
    )
    op.create_index("ix_ai_employees_owner_id_id", "ai_employees", ["owner_id", "id"])
    op.create_index("ix_ai_employees_scenario_id", "ai_employees", ["scenario_id"])
    op.create_table(
        "ai_employee_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("generator", sa.String(length=16), nullable=True),
        sa.Column("outputs", JSON, nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')",
                           name=op.f("ck_ai_employee_runs_status_valid")),
        sa.ForeignKeyConstraint(["employee_id"], ["ai_employees.id"],
                                name=op.f("fk_ai_employee_runs_employee_id_ai_employees"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_ai_employee_runs_job_id_jobs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_employee_runs")),
    )
    op.create_index("ix_ai_employee_runs_employee_id_id", "ai_employee_runs", ["employee_id", "id"])
    op.create_index("ix_ai_employee_runs_job", "ai_employee_runs", ["job_id"])


def upgrade():
    _campaigns()
    _scenarios()


def downgrade():
    for table in ("ai_employee_runs", "ai_employees", "scenarios", "campaign_counters", "campaign_applications",
                  "campaigns"):
        op.drop_table(table)  # their indexes go with them
