"""Stories across sources: `stories`, `article_stories`, `story_key_df`, and the views
v_stories, v_stories_daily, v_story_timeline and v_story_first.

The consumer assigns each article to a story in its batch transaction
(pipeline/warehouse/stories.py); docs/sql.md documents the views.

Revision ID: 0009_stories
Revises: 0008_source_presence
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0009_stories"
down_revision: str | None = "0008_source_presence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

# The consumer assigns a story before it writes the article row, so article_stories has no
# foreign key to articles; a deleted article leaves its story this way.
FORGET_STORY = """
CREATE FUNCTION newsflow_forget_story() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (DELETE FROM article_stories WHERE article_id = OLD.article_id
                  RETURNING story_id)
    UPDATE stories SET article_count = article_count - 1, updated_at = now()
    WHERE story_id IN (SELECT story_id FROM gone);
    RETURN NULL;
END $$
"""

# Publication time: published_at, else fetched_at (as the clustering uses it).
VIEWS = {
    "v_stories": """
        SELECT s.story_id, f.title, s.first_source, s.first_published_at,
               count(*)::int AS articles, count(DISTINCT a.source_id)::int AS sources,
               array_agg(DISTINCT a.language ORDER BY a.language)
                   FILTER (WHERE a.language IS NOT NULL) AS languages,
               min(coalesce(a.published_at, a.fetched_at)) AS earliest_at,
               max(coalesce(a.published_at, a.fetched_at)) AS latest_at
        FROM stories s
        JOIN article_stories x ON x.story_id = s.story_id
        JOIN articles a ON a.article_id = x.article_id
        LEFT JOIN articles f ON f.article_id = s.first_article_id
        GROUP BY s.story_id, f.title
    """,
    "v_stories_daily": """
        SELECT day, story_id, articles, sources, day = min(day) OVER w AS first_day
        FROM (
            SELECT (coalesce(a.published_at, a.fetched_at) AT TIME ZONE 'UTC')::date AS day,
                   x.story_id, count(*)::int AS articles,
                   count(DISTINCT a.source_id)::int AS sources
            FROM article_stories x JOIN articles a ON a.article_id = x.article_id
            GROUP BY 1, 2
        ) d
        WINDOW w AS (PARTITION BY story_id)
    """,
    "v_story_timeline": """
        SELECT x.story_id,
               row_number() OVER w::int AS position,
               coalesce(a.published_at, a.fetched_at) AS published_at,
               coalesce(a.published_at, a.fetched_at)
                   - min(coalesce(a.published_at, a.fetched_at)) OVER w AS after_first,
               a.source_id, a.language, a.title, a.article_id, x.score, x.assigned_at
        FROM article_stories x JOIN articles a ON a.article_id = x.article_id
        WINDOW w AS (PARTITION BY x.story_id
                     ORDER BY coalesce(a.published_at, a.fetched_at), a.article_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    """,
    "v_story_first": """
        SELECT f.story_id, f.source_id, f.article_id, f.title, f.published_at,
               n.source_id AS next_source_id, n.published_at - f.published_at AS lead
        FROM v_story_timeline f
        LEFT JOIN LATERAL (
            SELECT t.source_id, t.published_at FROM v_story_timeline t
            WHERE t.story_id = f.story_id AND t.source_id <> f.source_id
            ORDER BY t.position LIMIT 1
        ) n ON true
        WHERE f.position = 1
    """,
}


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("story_id", sa.String(64), nullable=False),
        sa.Column("first_article_id", sa.String(64), nullable=False),
        sa.Column("first_source", sa.Text(), nullable=False),
        sa.Column("first_published_at", TS, nullable=False),
        sa.Column("earliest_published_at", TS, nullable=False),
        sa.Column("latest_published_at", TS, nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("profile", JSONB(), nullable=False),
        sa.Column("keys", ARRAY(sa.Text()), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("story_id", name=op.f("pk_stories")),
    )
    op.create_index(op.f("ix_stories_keys"), "stories", ["keys"], postgresql_using="gin")
    op.create_index(op.f("ix_stories_latest_published_at"), "stories", ["latest_published_at"])
    op.create_table(
        "article_stories",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("story_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("assigned_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.story_id"],
            name=op.f("fk_article_stories_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_stories")),
    )
    op.create_index(op.f("ix_article_stories_story_id"), "article_stories", ["story_id"])
    op.create_table(
        "story_key_df",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_story_key_df")),
    )
    op.execute(FORGET_STORY)
    op.execute("""
        CREATE TRIGGER articles_forget_story AFTER DELETE ON articles
        FOR EACH ROW EXECUTE FUNCTION newsflow_forget_story()
    """)
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
    op.execute("DROP TRIGGER articles_forget_story ON articles")
    op.execute("DROP FUNCTION newsflow_forget_story()")
    op.drop_table("story_key_df")
    op.drop_table("article_stories")
    op.drop_table("stories")
