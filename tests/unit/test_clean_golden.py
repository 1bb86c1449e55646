"""The cleaner on the golden pages: hand-written HTML of the hard cases, with expected records.

After a deliberate change, regenerate with `python -m devtools.golden --regenerate` and
review the diff of tests/fixtures/pages before committing it.
"""

from __future__ import annotations

import pytest

from devtools.golden import GoldenPage, golden_pages

PAGES = golden_pages()


def test_there_are_golden_pages_for_the_hard_cases():
    assert len(PAGES) >= 30
    assert all(page.expected() is not None for page in PAGES), "run the regenerate command"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.id)
def test_golden_page_yields_its_expected_record(page: GoldenPage):
    expected = page.expected()
    actual = page.actual()
    # Field by field, so a failure names what changed rather than dumping two whole records.
    for field in expected:
        assert actual.get(field) == expected[field], f"{page.id}: {field}"
    assert set(actual) == set(expected)
