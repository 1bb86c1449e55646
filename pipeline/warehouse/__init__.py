"""The warehouse: PostgreSQL schema (models, Alembic migrations) and its reads and writes."""
