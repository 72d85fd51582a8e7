"""Maintained chef totals: `chef_counters` (one row) kept exact by triggers on chefs (PostgreSQL).

The chef list's unfiltered `total` reads this row inside its page statement instead of counting
every active chef per request (~0.8 ms of PostgreSQL backend time for 10,000 chefs). The triggers
run in the writing transaction, so the total is exact in every snapshot:
- INSERT / DELETE: per statement, counting the transition table (a bulk COPY of 10,000 chefs is
  one counter update, not 10,000 updates of one row);
- UPDATE OF is_active: per row, only when the value changes (`UPDATE chefs SET booking_count`, the
  booking path, does not name is_active, so it fires nothing);
- TRUNCATE (no row triggers fire): empties the counter table; a missing row reads as 0.
Concurrent writers serialise on the one row's lock only while they change chefs' activity.
On SQLite the table is created (the models and `flask db check` stay one schema) but unused: its
count(*) is answered from b-tree page counts in ~10 us.

Revision ID: 0005_chef_counters
Revises: 0004_idempotency
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_chef_counters"
down_revision = "0004_idempotency"
branch_labels = None
depends_on = None

ADD = """
    INSERT INTO chef_counters (id, active) VALUES (1, {delta})
    ON CONFLICT (id) DO UPDATE SET active = chef_counters.active + EXCLUDED.active"""

FUNCTIONS = f"""
CREATE FUNCTION chef_counters_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta bigint;
BEGIN
    SELECT count(*) INTO delta FROM inserted_chefs WHERE is_active;
    IF delta <> 0 THEN {ADD.format(delta="delta")};
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION chef_counters_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta bigint;
BEGIN
    SELECT count(*) INTO delta FROM deleted_chefs WHERE is_active;
    IF delta <> 0 THEN {ADD.format(delta="-delta")};
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION chef_counters_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {ADD.format(delta="CASE WHEN NEW.is_active THEN 1 ELSE -1 END")};
    RETURN NULL;
END $$;

CREATE FUNCTION chef_counters_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM chef_counters;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER chefs_counters_insert AFTER INSERT ON chefs REFERENCING NEW TABLE AS inserted_chefs
    FOR EACH STATEMENT EXECUTE FUNCTION chef_counters_inserted();
CREATE TRIGGER chefs_counters_delete AFTER DELETE ON chefs REFERENCING OLD TABLE AS deleted_chefs
    FOR EACH STATEMENT EXECUTE FUNCTION chef_counters_deleted();
CREATE TRIGGER chefs_counters_activity AFTER UPDATE OF is_active ON chefs
    FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) EXECUTE FUNCTION chef_counters_activity();
CREATE TRIGGER chefs_counters_truncate AFTER TRUNCATE ON chefs
    FOR EACH STATEMENT EXECUTE FUNCTION chef_counters_truncated();
"""


def upgrade():
    op.create_table(
        "chef_counters",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("active", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_chef_counters_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chef_counters")),
    )
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(FUNCTIONS)
    # Triggers first, then the initial count: CREATE TRIGGER locks chefs against writes until this
    # transaction commits, so no change can fall between the count and the triggers.
    op.execute(TRIGGERS)
    op.execute("INSERT INTO chef_counters (id, active) SELECT 1, count(*) FROM chefs WHERE is_active")


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        for trigger in ("insert", "delete", "activity", "truncate"):
            op.execute(f"DROP TRIGGER chefs_counters_{trigger} ON chefs")
        for function in ("inserted", "deleted", "activity", "truncated"):
            op.execute(f"DROP FUNCTION chef_counters_{function}()")
    op.drop_table("chef_counters")
