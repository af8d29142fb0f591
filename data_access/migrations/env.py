"""Alembic environment: runs on the connection handed in by data_access.migrate."""

from alembic import context

from data_access.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode recreates tables there and is a no-op elsewhere.
    render_as_batch=True,
    compare_type=True,
    # data_access.migrate.upgrade(on_step=…): each revision applied, for a page's progress.
    on_version_apply=config.attributes.get("on_version_apply"),
)
with context.begin_transaction():
    context.run_migrations()
