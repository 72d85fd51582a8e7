"""Alembic environment (Flask-Migrate): migrate the app's database with its metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url",
                       target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    """Emit SQL to stdout (`flask db upgrade --sql`)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run against the app's engine (with its SQLite pragmas and pool settings)."""

    def process_revision_directives(context, revision, directives):
        # no empty auto-migrations
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A SQLite batch migration copies a table, drops the original and renames the copy. With
            # foreign keys on, that DROP deletes every row first and fires ON DELETE CASCADE: moving
            # chefs through 0011 emptied bookings. Off for the migration (on the driver connection:
            # the PRAGMA is a no-op inside a transaction), checked before the commit, back on after.
            _sqlite_foreign_keys(connection, False)
        applied: list[str] = []
        if sqlite:
            # One transaction for the whole upgrade (SQLite's DDL is transactional; alembic assumes it
            # is not and would commit each revision), so the foreign key check below, run before the
            # commit, can still undo it. Checked only when a revision ran: a database left broken by
            # something else must not make every later no-op upgrade fail.
            conf_args["transactional_ddl"] = True
            conf_args["on_version_apply"] = lambda **kw: applied.append(str(kw.get("step")))
        try:
            context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite and applied:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left rows with dangling foreign keys: {broken[:10]}")
            if connection.in_transaction():  # whatever autobegan after alembic's own commit
                connection.commit()
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                _sqlite_foreign_keys(connection, True)


def _sqlite_foreign_keys(connection, on: bool) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
