"""docs/sql.md's generator (`sqldoc.py`); moves to the development tools. The operating jobs
(source health, maintenance, backfills) are in pipeline/jobs/."""
