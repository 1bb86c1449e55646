"""Alembic migrations of the warehouse (see pipeline.warehouse.migrate)."""
