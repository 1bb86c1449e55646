"""Operating newsflow: source health, warehouse maintenance and backfills.

The news_maintenance and news_backfill DAGs call these functions, as does `newsflow sources
health`; each takes the one Settings object and does its own I/O.
"""
