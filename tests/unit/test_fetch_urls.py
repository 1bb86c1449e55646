"""One canonical spelling per page, and which URLs are on a source's site."""

from __future__ import annotations

import pytest

from pipeline.fetch.urls import canonicalize, same_site


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://Example.ORG/News/A", "http://example.org/News/A"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a#comments", "https://example.org/a"),
        ("https://example.org/a?utm_source=rss&utm_Medium=x&id=7", "https://example.org/a?id=7"),
        (
            "https://example.org/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref_src=5",
            "https://example.org/a",
        ),
        ("https://example.org/a?b=2&a=1&a=0", "https://example.org/a?a=0&a=1&b=2"),
        (
            "https://example.org/a?q=caf%C3%A9+au+lait&&",
            "https://example.org/a?q=caf%C3%A9+au+lait",
        ),
        ("https://example.org/a%2Fb/?", "https://example.org/a%2Fb/"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
    ],
    ids=lambda value: value,
)
def test_canonicalize(url, canonical):
    assert canonicalize(url) == canonical


def test_canonicalize_is_idempotent():
    once = canonicalize("HTTPS://Example.org:443/a?z=1&utm_campaign=c&a=2#top")
    assert canonicalize(once) == once


@pytest.mark.parametrize("bad", ["/relative/path", "https://example.org:99999/", "mailto:"])
def test_canonicalize_rejects_what_is_not_an_absolute_url(bad):
    with pytest.raises(ValueError):
        canonicalize(bad)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", True),
        ("https://WWW.example.org/a", True),
        ("https://example.org./a", True),
        ("https://feeds.example.org/rss", False),
        ("https://example.org.evil.test/a", False),
        ("/relative", False),
    ],
)
def test_same_site(url, expected):
    assert same_site(url, {"www.example.org"}) is expected
