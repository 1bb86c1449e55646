"""The full-text index kept in step per statement, not per row.

0005's row trigger ran a PL/pgSQL function and a one-row `INSERT ... ON CONFLICT` into
`article_search` for every article written, and it ran again on every update that named a
watched column, even when the text was the same (an enrichment-only change, a replayed
version's upsert). Two statement-level triggers with transition tables replace it:

- after INSERT: one `INSERT ... SELECT` of the documents of every inserted article;
- after UPDATE: the same, for the updated articles whose title, description, text or
  language changed, or that have no document yet.

`article_search` holds exactly what it held before: the same configuration and document per
article, written in the same statement's trigger phase, so in the writer's transaction. To
rebuild every document (say after changing `newsflow_text_config`):
`TRUNCATE article_search; UPDATE articles SET language = language`.

Revision ID: 0010_set_based_search
Revises: 0009_stories
Create Date: 2026-12-06
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0010_set_based_search"
down_revision: str | None = "0009_stories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The document of each row of the transition table `new_articles`, as 0005 built it per row.
# newsflow_text_config is called in the select list, where PostgreSQL inlines it (a CASE),
# not in FROM, where it runs as a function scan per row.
_DOCUMENTS = """
    INSERT INTO article_search (article_id, config, document)
    SELECT n.article_id, n.cfg,
           setweight(to_tsvector(n.cfg, n.title), 'A')
           || setweight(to_tsvector(n.cfg, coalesce(n.description, '')), 'B')
           || setweight(to_tsvector(n.cfg, n.text), 'C')
    FROM (SELECT article_id, title, description, text, language,
                 newsflow_text_config(language) AS cfg
          FROM new_articles) n{where}
    ORDER BY n.article_id
    ON CONFLICT (article_id) DO UPDATE
        SET config = EXCLUDED.config, document = EXCLUDED.document;
"""

_CHANGED = """
    WHERE NOT EXISTS (
              SELECT FROM old_articles o
              WHERE o.article_id = n.article_id
                AND (o.title, o.description, o.text, o.language)
                    IS NOT DISTINCT FROM (n.title, n.description, n.text, n.language))
       OR NOT EXISTS (SELECT FROM article_search s WHERE s.article_id = n.article_id)"""


def _function(name: str, where: str) -> str:
    body = _DOCUMENTS.format(where=where)
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN{body}    RETURN NULL;\nEND $$"
    )


INDEX_INSERTED = _function("newsflow_index_inserted_articles", "")
INDEX_UPDATED = _function("newsflow_index_updated_articles", _CHANGED)


def upgrade() -> None:
    op.execute("DROP TRIGGER trg_articles_search ON articles")
    op.execute("DROP FUNCTION newsflow_index_article()")
    op.execute(INDEX_INSERTED)
    op.execute(INDEX_UPDATED)
    # A trigger with transition tables takes one event and no column list, hence two.
    op.execute(
        "CREATE TRIGGER trg_articles_search_insert AFTER INSERT ON articles "
        "REFERENCING NEW TABLE AS new_articles "
        "FOR EACH STATEMENT EXECUTE FUNCTION newsflow_index_inserted_articles()"
    )
    op.execute(
        "CREATE TRIGGER trg_articles_search_update AFTER UPDATE ON articles "
        "REFERENCING OLD TABLE AS old_articles NEW TABLE AS new_articles "
        "FOR EACH STATEMENT EXECUTE FUNCTION newsflow_index_updated_articles()"
    )


def downgrade() -> None:
    analytics = importlib.import_module("pipeline.warehouse.migrations.versions.0005_analytics")
    op.execute("DROP TRIGGER trg_articles_search_update ON articles")
    op.execute("DROP TRIGGER trg_articles_search_insert ON articles")
    op.execute("DROP FUNCTION newsflow_index_updated_articles()")
    op.execute("DROP FUNCTION newsflow_index_inserted_articles()")
    op.execute(analytics.INDEX_ARTICLE)
    op.execute(
        "CREATE TRIGGER trg_articles_search AFTER INSERT OR UPDATE OF title, "
        "description, text, language ON articles "
        "FOR EACH ROW EXECUTE FUNCTION newsflow_index_article()"
    )
