"""Analysts' warehouse: full-text search, rollups, views for the common questions, source
health, the dead-letter table, and a reader that cannot create anything.

docs/sql.md documents every view; news_maintenance refreshes the `mv_` rollups concurrently
(each has the unique index that needs).

Revision ID: 0005_analytics
Revises: 0004_dedup
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR

revision: str = "0005_analytics"
down_revision: str | None = "0004_dedup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

# ISO 639-1 code → PostgreSQL text search configuration; codes without one use 'simple'.
TEXT_CONFIGS = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}

INDEX_ARTICLE = """
CREATE FUNCTION newsflow_index_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_search (article_id, config, document)
    SELECT NEW.article_id, cfg,
           setweight(to_tsvector(cfg, NEW.title), 'A')
           || setweight(to_tsvector(cfg, coalesce(NEW.description, '')), 'B')
           || setweight(to_tsvector(cfg, NEW.text), 'C')
    FROM newsflow_text_config(NEW.language) AS cfg
    ON CONFLICT (article_id) DO UPDATE
        SET config = EXCLUDED.config, document = EXCLUDED.document;
    RETURN NULL;
END $$
"""

# (name, query, unique key): refreshed concurrently, which needs a unique index.
ROLLUPS = [
    # Near-duplicates are left out: a story syndicated five times is one story.
    (
        "mv_entity_source_day",
        """
        SELECT a.source_id,
               (coalesce(a.published_at, a.fetched_at) AT TIME ZONE 'UTC')::date AS day,
               m.entity_id, count(*)::int AS articles, sum(m.count)::int AS mentions
        FROM mentions m JOIN articles a USING (article_id)
        WHERE a.near_duplicate_of IS NULL
        GROUP BY 1, 2, 3
    """,
        "source_id, day, entity_id",
    ),
    (
        "mv_entity_pairs",
        """
        SELECT m1.entity_id AS entity_a, m2.entity_id AS entity_b, count(*)::int AS articles,
               min((coalesce(a.published_at, a.fetched_at) AT TIME ZONE 'UTC')::date)
                   AS first_day,
               max((coalesce(a.published_at, a.fetched_at) AT TIME ZONE 'UTC')::date)
                   AS last_day
        FROM mentions m1
        JOIN mentions m2 ON m2.article_id = m1.article_id AND m2.entity_id > m1.entity_id
        JOIN articles a ON a.article_id = m1.article_id
        WHERE a.near_duplicate_of IS NULL
        GROUP BY 1, 2
    """,
        "entity_a, entity_b",
    ),
]

VIEWS = {
    "v_top_entities_day": """
        SELECT r.day, rank() OVER (PARTITION BY r.day ORDER BY r.articles DESC,
                                   r.mentions DESC) AS rank,
               e.entity_id, e.canonical, e.label, r.articles, r.mentions
        FROM (SELECT day, entity_id, sum(articles)::int AS articles,
                     sum(mentions)::int AS mentions
              FROM mv_entity_source_day GROUP BY day, entity_id) r
        JOIN entities e USING (entity_id)
    """,
    "v_top_entities_source": """
        SELECT r.source_id, rank() OVER (PARTITION BY r.source_id ORDER BY r.articles DESC,
                                         r.mentions DESC) AS rank,
               e.entity_id, e.canonical, e.label, r.articles, r.mentions,
               r.first_day, r.last_day
        FROM (SELECT source_id, entity_id, sum(articles)::int AS articles,
                     sum(mentions)::int AS mentions, min(day) AS first_day, max(day) AS last_day
              FROM mv_entity_source_day GROUP BY source_id, entity_id) r
        JOIN entities e USING (entity_id)
    """,
    "v_entity_timeline": """
        SELECT e.entity_id, e.canonical, e.label, r.day, sum(r.articles)::int AS articles,
               sum(r.mentions)::int AS mentions, count(*)::int AS sources
        FROM mv_entity_source_day r JOIN entities e USING (entity_id)
        GROUP BY e.entity_id, e.canonical, e.label, r.day
    """,
    # Both directions, so `WHERE canonical = ...` finds every partner of an entity.
    "v_entity_cooccurrence": """
        SELECT e.entity_id, e.canonical, e.label,
               o.entity_id AS other_entity_id, o.canonical AS other_canonical,
               o.label AS other_label, p.articles, p.first_day, p.last_day
        FROM (SELECT entity_a AS this, entity_b AS other, articles, first_day, last_day
              FROM mv_entity_pairs
              UNION ALL
              SELECT entity_b, entity_a, articles, first_day, last_day FROM mv_entity_pairs) p
        JOIN entities e ON e.entity_id = p.this
        JOIN entities o ON o.entity_id = p.other
    """,
    # A cluster is an original and every article whose near_duplicate_of chain leads to it.
    "v_duplicate_clusters": """
        WITH RECURSIVE chain AS (
            SELECT article_id, article_id AS root, near_duplicate_of AS next, 0 AS depth
            FROM articles
            UNION ALL
            SELECT c.article_id, a.article_id, a.near_duplicate_of, c.depth + 1
            FROM chain c JOIN articles a ON a.article_id = c.next
            WHERE c.depth < 20 AND a.article_id <> c.article_id
        ),
        roots AS (
            SELECT DISTINCT ON (article_id) article_id, root FROM chain
            ORDER BY article_id, depth DESC
        )
        SELECT r.root AS cluster_id, count(*) OVER (PARTITION BY r.root)::int AS cluster_size,
               a.article_id, a.article_id = r.root AS is_original, a.source_id, a.title,
               a.published_at, a.url
        FROM roots r JOIN articles a USING (article_id)
        WHERE r.root IN (SELECT root FROM roots GROUP BY root HAVING count(*) > 1)
    """,
    "v_dead_letters": """
        SELECT d.dead_lettered_at, d.stage, d.error, d.record_key AS article_id,
               a.title, (a.enriched_at > d.dead_lettered_at) IS TRUE AS stored_since,
               d.source_topic, d.source_partition, d.source_offset,
               d.dlt_partition, d.dlt_offset
        FROM dead_letters d LEFT JOIN articles a ON a.article_id = d.record_key
    """,
    # Per source and UTC day. Fetch counts come from fetch_log (every request: robots.txt,
    # feeds, sitemaps, pages, retries): fetched = answered below 400, failed = an error status,
    # no answer, or a page nothing could be extracted from, refused = not requested (network
    # policy, robots.txt). The shares and medians come from the article versions extracted
    # that day (new or changed content), compared with the fourteen days before.
    "v_source_health_daily": """
        WITH fetches AS (
            SELECT source_id, (fetched_at AT TIME ZONE 'UTC')::date AS day,
                   count(*)::int AS attempts,
                   count(*) FILTER (WHERE status < 400)::int AS fetched,
                   count(*) FILTER (WHERE outcome = 'extract_failed' OR status >= 400
                                    OR (status IS NULL AND outcome NOT IN
                                        ('refused', 'skipped_robots', 'deferred')))::int
                       AS failed,
                   count(*) FILTER (WHERE outcome IN ('refused', 'skipped_robots'))::int
                       AS refused
            FROM fetch_log GROUP BY 1, 2
        ),
        extracted AS (
            SELECT record->>'source_id' AS source_id,
                   (fetched_at AT TIME ZONE 'UTC')::date AS day, version,
                   coalesce((record->>'word_count')::int, 0) AS words,
                   record->>'published_at' IS NULL AS no_date,
                   coalesce(jsonb_array_length(record->'authors'), 0) = 0 AS no_author
            FROM article_versions
        ),
        daily AS (
            SELECT source_id, day,
                   count(*) FILTER (WHERE version = 1)::int AS new,
                   count(*) FILTER (WHERE version > 1)::int AS changed,
                   avg(no_date::int) AS share_no_date, avg(no_author::int) AS share_no_author,
                   avg((words < 150)::int) AS share_short,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY words) AS median_words
            FROM extracted GROUP BY 1, 2
        ),
        joined AS (
            SELECT source_id, day, coalesce(f.attempts, 0) AS attempts,
                   coalesce(f.fetched, 0) AS fetched, coalesce(d.new, 0) AS new,
                   coalesce(d.changed, 0) AS changed, coalesce(f.failed, 0) AS failed,
                   coalesce(f.refused, 0) AS refused, d.share_no_date, d.share_no_author,
                   d.share_short, d.median_words
            FROM fetches f FULL JOIN daily d USING (source_id, day)
        ),
        measured AS (
            SELECT j.*, t.median_words AS trailing_median_words,
                   t.share_no_date AS trailing_share_no_date,
                   t.share_no_author AS trailing_share_no_author,
                   (j.failed + j.refused)::numeric / nullif(j.attempts, 0) AS failure_share,
                   j.median_words / nullif(t.median_words, 0) AS median_ratio
            FROM joined j
            LEFT JOIN LATERAL (
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e.words) AS median_words,
                       avg(e.no_date::int) AS share_no_date,
                       avg(e.no_author::int) AS share_no_author
                FROM extracted e
                WHERE e.source_id = j.source_id AND e.day >= j.day - 14 AND e.day < j.day
            ) t ON true
        ),
        judged AS (
            SELECT m.*,
                   array_remove(ARRAY[
                       CASE WHEN m.failure_share >= 0.5 THEN
                           round(100 * m.failure_share) || '% of fetches failed or refused' END,
                       CASE WHEN m.median_ratio < 0.5 THEN
                           'median body ' || round(100 * m.median_ratio)
                           || '% of its 14-day median' END,
                       CASE WHEN m.share_no_date - m.trailing_share_no_date >= 0.5 THEN
                           round(100 * m.share_no_date) || '% without a date' END
                   ], NULL) AS red,
                   array_remove(ARRAY[
                       CASE WHEN m.failure_share >= 0.2 AND m.failure_share < 0.5 THEN
                           round(100 * m.failure_share) || '% of fetches failed or refused' END,
                       CASE WHEN m.median_ratio >= 0.5 AND m.median_ratio < 0.75 THEN
                           'median body ' || round(100 * m.median_ratio)
                           || '% of its 14-day median' END,
                       CASE WHEN m.share_no_author - m.trailing_share_no_author >= 0.5 THEN
                           round(100 * m.share_no_author) || '% without an author' END,
                       CASE WHEN m.share_short >= 0.5 AND m.trailing_median_words IS NULL THEN
                           round(100 * m.share_short) || '% under 150 words' END
                   ], NULL) AS amber
            FROM measured m
        )
        SELECT source_id, day, fetched, new, changed, failed, refused,
               round(share_no_date, 3) AS share_no_date,
               round(share_no_author, 3) AS share_no_author,
               round(share_short, 3) AS share_short,
               median_words, trailing_median_words, round(median_ratio::numeric, 2) AS median_ratio,
               CASE WHEN cardinality(red) > 0 THEN 'red'
                    WHEN cardinality(amber) > 0 THEN 'amber' ELSE 'green' END AS status,
               red || amber AS reasons
        FROM judged
    """,
}


def _text_config_function() -> str:
    # Only the configurations this server has: a CASE naming a missing one fails when used.
    have = {row[0] for row in op.get_bind().execute(sa.text("SELECT cfgname FROM pg_ts_config"))}
    cases = "\n".join(
        f"        WHEN '{code}' THEN '{name}'"
        for code, name in sorted(TEXT_CONFIGS.items())
        if name in have
    )
    return f"""
        CREATE FUNCTION newsflow_text_config(language text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (CASE lower(split_part(language, '-', 1))
{cases}
            ELSE 'simple' END)::regconfig
        $$
    """


def upgrade() -> None:
    op.create_table(
        "article_search",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("config", REGCONFIG(), nullable=False),
        sa.Column("document", TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.article_id"],
            ondelete="CASCADE",
            name=op.f("fk_article_search_article_id_articles"),
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_search")),
    )
    op.create_index(
        op.f("ix_article_search_document"), "article_search", ["document"], postgresql_using="gin"
    )
    op.execute(_text_config_function())
    op.execute(INDEX_ARTICLE)
    op.execute(
        "CREATE TRIGGER trg_articles_search AFTER INSERT OR UPDATE OF title, "
        "description, text, language ON articles "
        "FOR EACH ROW EXECUTE FUNCTION newsflow_index_article()"
    )
    # Articles stored before this migration: touching a watched column fires the trigger.
    op.execute("UPDATE articles SET language = language")

    op.create_table(
        "dead_letters",
        sa.Column("dlt_partition", sa.Integer(), nullable=False),
        sa.Column("dlt_offset", sa.BigInteger(), nullable=False),
        sa.Column("dead_lettered_at", TS, nullable=False),
        sa.Column("record_key", sa.Text(), nullable=True),
        sa.Column("stage", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source_topic", sa.Text(), nullable=True),
        sa.Column("source_partition", sa.Integer(), nullable=True),
        sa.Column("source_offset", sa.BigInteger(), nullable=True),
        sa.Column("value_preview", sa.Text(), nullable=True),
        sa.Column("reported_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("dlt_partition", "dlt_offset", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_dead_lettered_at"), "dead_letters", ["dead_lettered_at"])

    for name, query, key in ROLLUPS:
        op.execute(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        op.execute(f"CREATE UNIQUE INDEX ux_{name} ON {name} ({key})")
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")
    _lock_down_reader()


def _lock_down_reader() -> None:
    # The reader may read (0002's grants, and default privileges for what was made since) and
    # create nothing: no tables in public (PostgreSQL 15+ already says so) and no temporary
    # tables, which PUBLIC may create by default. The migrating user keeps its own.
    op.execute("""
        DO $$
        BEGIN
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
            EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(),
                           current_user);
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'newsflow_reader') THEN
                GRANT SELECT ON ALL TABLES IN SCHEMA public TO newsflow_reader;
            END IF;
        END $$
    """)


def downgrade() -> None:
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', "
        "current_database()); END $$"
    )
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW {name}")
    for name, _, _ in reversed(ROLLUPS):
        op.execute(f"DROP MATERIALIZED VIEW {name}")
    op.drop_table("dead_letters")
    op.execute("DROP TRIGGER trg_articles_search ON articles")
    op.drop_table("article_search")
    op.execute("DROP FUNCTION newsflow_index_article()")
    op.execute("DROP FUNCTION newsflow_text_config(text)")
