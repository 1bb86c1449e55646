"""URL identity: one canonical spelling per page, and which URLs belong to a source's site."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = {"fbclid", "gclid", "mc_cid", "mc_eid", "ref_src"}


def _is_tracking(key: str) -> bool:
    name = unquote_plus(key).lower()
    return name.startswith("utm_") or name in _TRACKING_PARAMS


def canonicalize(url: str) -> str:
    """The spelling of `url` used to recognise the same page reached by different links.

    Lower-cases scheme and host, drops the default port, the fragment and tracking parameters,
    sorts the remaining query parameters and spells an empty path as "/". Path and parameter
    values keep their exact encoding: re-encoding could change what the server sees.
    Raises ValueError when `url` has no host or an invalid port.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname  # already lower-case, without brackets or credentials
    if not scheme or not host:
        raise ValueError(f"not an absolute URL: {url!r}")
    port = parts.port  # ValueError on a port that is not a number in range
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    pairs = [pair.partition("=") for pair in parts.query.split("&") if pair]
    kept = sorted((key, sep, value) for key, sep, value in pairs if not _is_tracking(key))
    query = "&".join(key + sep + value for key, sep, value in kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _site_key(host: str) -> str:
    # "www.example.org" and "example.org" are one site on practically every news publisher;
    # other subdomains (feeds., m., blogs.) are distinct sites unless listed in the sources file.
    return host.lower().rstrip(".").removeprefix("www.")


def same_site(url: str, hosts: Iterable[str]) -> bool:
    """Whether `url` is on one of `hosts` (a leading "www." and a trailing dot don't count)."""
    host = urlsplit(url.strip()).hostname
    return host is not None and _site_key(host) in {_site_key(h) for h in hosts}
