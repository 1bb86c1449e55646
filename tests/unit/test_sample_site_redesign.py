"""The sample site's simulated layout change: one template's pages become client-side
rendered stubs at the same URLs, the others stay as they were."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import yaml

from devtools.sample_site import SampleSite, stories
from pipeline.clean import clean


def _clean(url: str):
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200
    return clean(
        page.content,
        url,
        source_id="t",
        fetched_at=datetime.now(UTC),
        content_type=page.headers["content-type"],
    )


def test_redesigned_pages_clean_to_a_stub_without_date_or_author(tmp_path):
    courier = next(s for s in stories() if s.template == "courier")
    ledger = next(s for s in stories() if s.template == "ledger")
    with SampleSite() as site:
        before = _clean(site.base_url + courier.path)
        site.redesign("courier")
        after = _clean(site.base_url + courier.path)
        untouched = _clean(site.base_url + ledger.path)
    assert before.published_at == courier.published_at and before.authors
    assert after.title == courier.title
    assert after.published_at is None and after.authors == []
    assert after.word_count < 100 < before.word_count
    assert untouched.published_at == ledger.published_at and untouched.word_count > 150


def test_sources_per_template_list_each_template_s_articles(tmp_path):
    with SampleSite() as site:
        ids = site.write_sources_per_template(tmp_path / "s.yaml", "x")
        entries = yaml.safe_load((tmp_path / "s.yaml").read_text())["sources"]
        base = site.base_url
    assert ids == {"ledger": "x-ledger", "courier": "x-courier", "gazette": "x-gazette"}
    by_id = {e["id"]: e for e in entries}
    for template, source_id in ids.items():
        assert by_id[source_id]["urls"] == [
            base + s.path for s in stories() if s.template == template
        ]
