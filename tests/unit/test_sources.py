"""The sources file: valid entries load, every bad entry gets one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.sources import Source, load_sources

GOOD = """\
sources:
  - id: meridian
    name: The Meridian Ledger
    feeds: [https://example.org/rss.xml]
    sitemaps: [https://www.example.org/news-sitemap.xml]
  - id: local_site-2
    name: Local
    urls: ["http://127.0.0.1:8000/a.html"]
    min_delay_seconds: 0
    allow_private_network: true
    enabled: false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    return str(caught.value)


def entry(**fields: object) -> str:
    """One item of the sources list, in block style."""
    first, *rest = (f"{key}: {value}" for key, value in fields.items())
    return "\n".join([f"  - {first}", *(f"    {line}" for line in rest)])


def test_valid_file_loads_with_defaults(tmp_path):
    meridian, local = load_sources(write(tmp_path, GOOD))

    assert (meridian.id, meridian.min_delay_seconds) == ("meridian", 1.0)
    assert meridian.enabled and not meridian.allow_private_network
    assert meridian.hosts == {"example.org", "www.example.org"}
    assert (local.min_delay_seconds, local.allow_private_network, local.enabled) == (0, True, False)
    assert local.hosts == {"127.0.0.1"}


def test_bad_id_is_named(tmp_path):
    path = write(
        tmp_path,
        "sources:\n"
        + entry(id="ok", name="A", urls="[https://a.test/]")
        + "\n"
        + entry(id="'x y'", name="B", urls="[https://b.test/]")
        + "\n",
    )

    assert config_error(path) == f"{path}: sources[1] (id 'x y'): id must match [a-z0-9_-]+"


def test_duplicate_id_is_rejected(tmp_path):
    path = write(
        tmp_path,
        "sources:\n"
        + entry(id="dup", name="A", urls="[https://a.test/]")
        + "\n"
        + entry(id="dup", name="B", urls="[https://b.test/]")
        + "\n",
    )

    assert config_error(path) == (
        f"{path}: sources[1] (id 'dup'): duplicate id, already used by sources[0]"
    )


def test_non_http_url_is_rejected(tmp_path):
    path = write(tmp_path, "sources:\n" + entry(id="a", name="A", feeds="[ftp://a.test/rss]"))

    assert config_error(path) == (
        f"{path}: sources[0] (id 'a'): feeds[0] must be an http(s) URL, got 'ftp://a.test/rss'"
    )


def test_missing_file_says_how_to_fix_it(tmp_path):
    message = config_error(tmp_path / "nowhere.yaml")

    assert str(tmp_path / "nowhere.yaml") in message
    assert "not found" in message and "NEWSFLOW_SOURCES" in message


def test_every_bad_entry_gets_its_own_line(tmp_path):
    path = write(
        tmp_path,
        "\n".join(
            [
                "sources:",
                entry(id="good", name="G", urls="[https://g.test/]"),
                entry(id="a", name="A", feed="[https://a.test/rss]"),  # typo: feed
                entry(id="b", name="B", min_delay_seconds=-1),
                entry(name="C"),
                "  - just a string",
            ]
        ),
    )

    lines = config_error(path).splitlines()

    assert len(lines) == 4
    assert lines[0].startswith(f"{path}: sources[1] (id 'a'): feed: unknown field (allowed: id,")
    assert lines[1] == (
        f"{path}: sources[2] (id 'b'): min_delay_seconds: "
        "input should be greater than or equal to 0"
    )
    assert lines[2] == f"{path}: sources[3]: id is required"
    assert lines[3] == f"{path}: sources[4]: expected a mapping with id, name, feeds, …"


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "sources:\n  - id: a\n    name: [unclosed\n")

    message = config_error(path)

    assert message.startswith(f"{path}: not valid YAML at line ")


def test_file_without_sources_list_is_rejected(tmp_path):
    path = write(tmp_path, "- id: a\n")

    assert "top-level 'sources:'" in config_error(path)


def test_sources_are_immutable():
    source = Source(id="a", name="A", urls=["https://a.test/"])

    with pytest.raises(ValueError):
        source.id = "b"  # type: ignore[misc]


@pytest.mark.parametrize(
    "url", ["example.org/rss", "https:///rss", "https://a.test:99999/", "javascript:alert(1)"]
)
def test_urls_must_be_absolute_http(url):
    with pytest.raises(ValueError, match="must be an http"):
        Source(id="a", name="A", urls=[url])


def test_extra_hosts_join_the_sources_own_hosts(tmp_path):
    path = write(
        tmp_path,
        "sources:\n"
        + entry(
            id="a", name="A", urls="[https://a.test/x]", extra_hosts="[CDN.a.test, 'bad host']"
        ),
    )

    assert config_error(path) == (
        f"{path}: sources[0] (id 'a'): extra_hosts[1] must be a "
        "host name such as cdn.example.org, got 'bad host'"
    )
    source = Source(id="a", name="A", urls=["https://a.test/x"], extra_hosts=["CDN.a.test."])
    assert source.hosts == {"a.test", "cdn.a.test"}
