"""`newsflow ingest --since --until`: news_backfill's publication window from the command line."""

from __future__ import annotations

import json
from datetime import UTC, date

import pytest
from click.testing import CliRunner

from devtools.sample_site import SampleSite, stories
from pipeline.cli import main
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration
SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 15)


def test_ingest_with_a_window_fetches_only_that_period(stack, tmp_path):
    site = SampleSite().start()  # a port of its own: article ids no other test publishes
    try:
        sources = site.write_sources_yaml(tmp_path / "sources.yaml", "window")
        result = CliRunner().invoke(
            main,
            [
                "ingest",
                "--sources",
                str(sources),
                "--since",
                SINCE.isoformat(),
                "--until",
                UNTIL.isoformat(),
            ],
            env=settings_env(stack),
        )
    finally:
        site.stop()
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    in_period = [s for s in stories() if SINCE <= s.published_at.astimezone(UTC).date() <= UNTIL]
    assert 0 < len(in_period) < len(stories())
    assert summary["fetched"] == summary["new"] == summary["published"] == len(in_period)
    assert summary["skipped_out_of_range"] == len(stories()) - len(in_period)


def test_a_reversed_or_half_window_is_refused_before_fetching(stack, tmp_path):
    env = settings_env(stack)
    reversed_ = CliRunner().invoke(
        main,
        [
            "ingest",
            "--sources",
            str(tmp_path / "none.yaml"),
            "--since",
            "2026-11-15",
            "--until",
            "2026-11-01",
        ],
        env=env,
    )
    assert reversed_.exit_code != 0
    assert "is after until" in reversed_.output and "Traceback" not in reversed_.output
    half = CliRunner().invoke(main, ["ingest", "--since", "2026-11-01"], env=env)
    assert half.exit_code == 2 and "--since and --until go together" in half.output
