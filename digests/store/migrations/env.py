"""Alembic environment: migrations run only through ``store.database.Database.open`` on its connection."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("newsdigest migrations run at start-up through digests.store.database.Database.open")

context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
