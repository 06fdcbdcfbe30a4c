"""Alembic environment: migrations run only through ``Database.open``, on its connection."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("newsdigest migrations run at start-up, through Database.open")

context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
