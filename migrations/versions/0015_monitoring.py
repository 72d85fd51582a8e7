"""Monitoring: alert rules, alerts, deliveries, silences, incidents and their timeline, the evaluator claim, samples.

Revision ID: 0015_monitoring
Revises: 0014_logs
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015_monitoring"
down_revision = "0014_logs"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TABLES = (
    "monitoring_incident_alerts",
    "monitoring_deliveries",
    "monitoring_silences",
    "monitoring_incident_events",
    "monitoring_alerts",
    "monitoring_rules",
    "monitoring_incidents",
    "monitoring_samples",
    "monitoring_claims",
)


def upgrade():
    op.create_table(
        "monitoring_claims",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("tick", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_monitoring_claims")),
    )
    op.create_table(
        "monitoring_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("counters", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_samples")),
    )
    with op.batch_alter_table("monitoring_samples", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_samples_taken_at", ["taken_at"], unique=False)

    op.create_table(
        "monitoring_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_monitoring_incidents_severity_valid")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_monitoring_incidents_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_monitoring_incidents_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_incidents")),
    )
    with op.batch_alter_table("monitoring_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_incidents_status_id", ["status", "id"], unique=False)

    op.create_table(
        "monitoring_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("comparison", sa.String(length=2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("for_seconds", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("escalate_after_seconds", sa.Integer(), nullable=True),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "comparison IN ('gt', 'ge', 'lt', 'le', 'eq', 'ne')", name=op.f("ck_monitoring_rules_comparison_valid")
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_monitoring_rules_severity_valid")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_monitoring_rules_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_rules")),
    )
    with op.batch_alter_table("monitoring_rules", schema=None) as batch_op:
        batch_op.create_index("uq_monitoring_rules_name", ["name"], unique=True)

    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'firing', 'acknowledged', 'resolved')",
            name=op.f("ck_monitoring_alerts_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_monitoring_alerts_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["monitoring_rules.id"],
            name=op.f("fk_monitoring_alerts_rule_id_monitoring_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
    )
    with op.batch_alter_table("monitoring_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_alerts_fingerprint_id", ["fingerprint", "id"], unique=False)
        batch_op.create_index("ix_monitoring_alerts_rule_id", ["rule_id"], unique=False)
        batch_op.create_index("ix_monitoring_alerts_status_id", ["status", "id"], unique=False)
        batch_op.create_index(
            "uq_monitoring_alerts_active",
            ["fingerprint"],
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'firing', 'acknowledged')"),
            postgresql_where=sa.text("status IN ('pending', 'firing', 'acknowledged')"),
        )

    op.create_table(
        "monitoring_incident_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_monitoring_incident_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["monitoring_incidents.id"],
            name=op.f("fk_monitoring_incident_events_incident_id_monitoring_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_incident_events")),
    )
    with op.batch_alter_table("monitoring_incident_events", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_incident_events_incident_id", ["incident_id", "id"], unique=False)

    op.create_table(
        "monitoring_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_monitoring_silences_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["monitoring_rules.id"],
            name=op.f("fk_monitoring_silences_rule_id_monitoring_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_silences")),
    )
    with op.batch_alter_table("monitoring_silences", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_silences_ends_at", ["ends_at"], unique=False)

    op.create_table(
        "monitoring_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["monitoring_alerts.id"],
            name=op.f("fk_monitoring_deliveries_alert_id_monitoring_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_deliveries")),
    )
    with op.batch_alter_table("monitoring_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_deliveries_alert_id", ["alert_id", "id"], unique=False)

    op.create_table(
        "monitoring_incident_alerts",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["monitoring_alerts.id"],
            name=op.f("fk_monitoring_incident_alerts_alert_id_monitoring_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["monitoring_incidents.id"],
            name=op.f("fk_monitoring_incident_alerts_incident_id_monitoring_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "alert_id", name=op.f("pk_monitoring_incident_alerts")),
    )


def downgrade():
    for table in TABLES:  # children first; their indexes go with them
        op.drop_table(table)
