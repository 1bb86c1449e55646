"""`newsflow extract URL`: one page fetched through the project's HTTP client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.config import Settings

if TYPE_CHECKING:
    from pipeline.fetch.http import FetchResult


def fetch_page(settings: Settings, url: str, *, allow_private_network: bool) -> FetchResult:
    """The page at `url` (no robots.txt store, no fetch log: a one-off look)."""
    from pipeline.fetch.http import HttpClient
    from pipeline.fetch.network import NetworkPolicy

    network = NetworkPolicy(
        allow_private=allow_private_network,
        private_hint="add --allow-private-network if the site is yours",
    )
    with HttpClient(settings, network=network) as client:
        return client.get(url)
