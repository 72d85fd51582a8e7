"""The log store: log_entries (warnings, errors, sampled request lines) and its indexes.

On PostgreSQL the message gets a trigram GIN index (pg_trgm, installed into `public` so every
schema of the database shares one copy and dropping a schema never drops it).

Revision ID: 0014_logs
Revises: 0012_exports
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014_logs"
down_revision = "0012_exports"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# SQLite: an FTS5 table with the trigram tokenizer indexes every 3-character run of the message, so
# `q` (a substring) is an index search there too. External content (the rows stay in log_entries)
# kept in step by triggers; autogenerate ignores these tables (backend/logs/extension.py).
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE log_entries_fts USING fts5(message, content='log_entries', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER log_entries_fts_insert AFTER INSERT ON log_entries BEGIN "
    "INSERT INTO log_entries_fts(rowid, message) VALUES (new.id, new.message); END",
    "CREATE TRIGGER log_entries_fts_delete AFTER DELETE ON log_entries BEGIN "
    "INSERT INTO log_entries_fts(log_entries_fts, rowid, message) VALUES ('delete', old.id, old.message); END",
)


def upgrade():
    op.create_table(
        "log_entries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("logger", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("error_type", sa.String(length=120), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_entries")),
    )
    op.create_index("ix_log_entries_created_at_id", "log_entries", ["created_at", "id"])
    op.create_index("ix_log_entries_level_created_at_id", "log_entries", ["level", "created_at", "id"])
    op.create_index("ix_log_entries_path_created_at_id", "log_entries", ["path", "created_at", "id"])
    op.create_index("ix_log_entries_request_id", "log_entries", ["request_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)
    # SQLite: an empty partial index under the same name (its trigram index is the FTS5 table; see the model).
    op.create_index("ix_log_entries_message_trgm", "log_entries", ["message"], postgresql_using="gin",
                    postgresql_ops={"message": "public.gin_trgm_ops"}, sqlite_where=sa.text("0"))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER log_entries_fts_delete")
        op.execute("DROP TRIGGER log_entries_fts_insert")
        op.execute("DROP TABLE log_entries_fts")
    op.drop_index("ix_log_entries_message_trgm", table_name="log_entries")
    op.drop_index("ix_log_entries_request_id", table_name="log_entries")
    op.drop_index("ix_log_entries_path_created_at_id", table_name="log_entries")
    op.drop_index("ix_log_entries_level_created_at_id", table_name="log_entries")
    op.drop_index("ix_log_entries_created_at_id", table_name="log_entries")
    op.drop_table("log_entries")
