"""Warehouse schema revisions, applied in order by pipeline.warehouse.migrate.upgrade."""
