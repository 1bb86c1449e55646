"""The read-only role analysts connect as: SELECT on every table and view, now and later.

Roles belong to the whole server, so the role is created only when missing, and only when the
migrating user may create roles (a managed database's owner often may not; the grants then
wait until an administrator creates `newsflow_reader`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'newsflow_reader') THEN
                IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles
                        WHERE rolname = current_user) THEN
                    RAISE NOTICE '% may not create roles: no newsflow_reader; grant SELECT '
                                 'on the warehouse to a read-only role yourself', current_user;
                    RETURN;
                END IF;
                BEGIN
                    CREATE ROLE newsflow_reader NOLOGIN;
                EXCEPTION WHEN duplicate_object THEN
                    NULL;  -- a migration of another database on this server just made it
                END;
            END IF;
            GRANT USAGE ON SCHEMA public TO newsflow_reader;
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO newsflow_reader;
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO newsflow_reader;
        END $$
    """)


def downgrade() -> None:
    # The role stays: other databases on the server may use it.
    op.execute("""
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'newsflow_reader') THEN
                ALTER DEFAULT PRIVILEGES IN SCHEMA public
                    REVOKE SELECT ON TABLES FROM newsflow_reader;
                REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM newsflow_reader;
                REVOKE USAGE ON SCHEMA public FROM newsflow_reader;
            END IF;
        END $$
    """)
