"""Alembic environment: migrations run on the connection `pipeline.warehouse.migrate` passes."""

from alembic import context

from pipeline.warehouse.models import Base

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=Base.metadata,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
