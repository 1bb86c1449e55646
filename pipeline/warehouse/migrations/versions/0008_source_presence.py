"""Sources removed from their sources file, and source health without them or robots.txt 404s.

`sources` remembers the file each source was synced from; a sync of that whole file marks the
sources it no longer lists removed (`enabled` false, `removed_at`). `v_source_health_daily`
leaves out sources that are disabled or removed, and no longer counts a robots.txt answering
4xx (the robots standard's "no rules: allow all") nor a fetch cut short by Ctrl-C
(`cancelled`) as a failed fetch.

Revision ID: 0008_source_presence
Revises: 0007_version_ledger
Create Date: 2026-11-30
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_source_presence"
down_revision: str | None = "0007_version_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Per source and UTC day, as in 0005, with the two changes above (the `logged` CTE and the
# final WHERE).
SOURCE_HEALTH = """
        WITH logged AS (
            -- A robots.txt answering 4xx (but 429) has no rules: every path is allowed.
            SELECT *, (url ~ '^https?://[^/]+/robots[.]txt$' AND status >= 400 AND status < 500
                       AND status <> 429) AS robots_allow_all
            FROM fetch_log
        ),
        fetches AS (
            SELECT source_id, (fetched_at AT TIME ZONE 'UTC')::date AS day,
                   count(*)::int AS attempts,
                   count(*) FILTER (WHERE status < 400 OR robots_allow_all)::int AS fetched,
                   count(*) FILTER (WHERE NOT robots_allow_all
                                    AND (outcome = 'extract_failed' OR status >= 400
                                         OR (status IS NULL AND outcome NOT IN
                                             ('refused', 'skipped_robots', 'deferred',
                                              'cancelled'))))::int
                       AS failed,
                   count(*) FILTER (WHERE outcome IN ('refused', 'skipped_robots'))::int
                       AS refused
            FROM logged GROUP BY 1, 2
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
        FROM judged j
        WHERE NOT EXISTS (SELECT FROM sources s WHERE s.source_id = j.source_id AND NOT s.enabled)
    """


def upgrade() -> None:
    op.add_column("sources", sa.Column("sources_file", sa.Text(), nullable=True))
    op.add_column("sources", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(f"CREATE OR REPLACE VIEW v_source_health_daily AS {SOURCE_HEALTH}")


def downgrade() -> None:
    analytics = importlib.import_module("pipeline.warehouse.migrations.versions.0005_analytics")
    op.execute(
        "CREATE OR REPLACE VIEW v_source_health_daily AS "
        + analytics.VIEWS["v_source_health_daily"]
    )
    op.drop_column("sources", "removed_at")
    op.drop_column("sources", "sources_file")
