"""The sources file: which sites newsflow reads, and how politely.

`load_sources` validates every entry and reports all problems at once, one line per bad entry,
so a user fixes the whole file in one go instead of one error per run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from pipeline.errors import ConfigError

_ID_PATTERN = re.compile(r"[a-z0-9_-]+")
# Worded to follow the field name: "id must match …".
_OWN_ERRORS = {"http_url", "host_name", "source_id"}


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    try:
        valid = (
            parts.scheme.lower() in ("http", "https")
            and bool(parts.hostname)
            and (parts.port is None or parts.port > 0)
        )
    except ValueError:  # a port that is not a number from 0 to 65535
        valid = False
    if not valid:
        raise PydanticCustomError(
            "http_url", "must be an http(s) URL, got {value}", {"value": repr(value)}
        )
    return value.strip()


HttpUrl = Annotated[str, AfterValidator(_http_url)]

_HOST_PATTERN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def _host_name(value: str) -> str:
    host = value.strip().lower().rstrip(".")
    if not _HOST_PATTERN.fullmatch(host):
        raise PydanticCustomError(
            "host_name",
            "must be a host name such as cdn.example.org, got {value}",
            {"value": repr(value)},
        )
    return host


HostName = Annotated[str, AfterValidator(_host_name)]


class Source(BaseModel):
    """One entry of `sources.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = Field(min_length=1)
    feeds: list[HttpUrl] = Field(default_factory=list)
    sitemaps: list[HttpUrl] = Field(default_factory=list)
    urls: list[HttpUrl] = Field(default_factory=list)
    # Hosts that count as the source's own besides those of its feeds, sitemaps and URLs
    # (a CDN serving its sitemaps, an articles subdomain); discovered URLs elsewhere are dropped.
    extra_hosts: list[HostName] = Field(default_factory=list)
    min_delay_seconds: float = Field(1.0, ge=0)
    allow_private_network: bool = False
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        # The id keys warehouse rows and Airflow map indexes, so it must stay a plain token.
        if not _ID_PATTERN.fullmatch(value):
            raise PydanticCustomError("source_id", "must match [a-z0-9_-]+")
        return value

    @property
    def hosts(self) -> frozenset[str]:
        """Host names of every feed, sitemap and URL, and the extra hosts: the source's own."""
        return frozenset(
            host
            for url in (*self.feeds, *self.sitemaps, *self.urls)
            if (host := urlsplit(url).hostname)
        ) | frozenset(self.extra_hosts)


def load_sources(path: Path) -> list[Source]:
    """Read and validate a sources file; raise `ConfigError` naming every bad entry."""
    if not path.is_file():
        raise ConfigError(
            f"{path}: sources file not found; create it (format: 'sources:' then a list of "
            f"entries with id, name, feeds/sitemaps/urls) or set NEWSFLOW_SOURCES to its path"
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{path}: not valid YAML{at}: {problem}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the sources file: {exc}") from exc

    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise ConfigError(f"{path}: expected a top-level 'sources:' key holding a list of entries")

    sources: list[Source] = []
    problems: list[str] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(document["sources"]):
        label = _entry_label(path, index, entry)
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a mapping with id, name, feeds, …")
            continue
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            problems.append(f"{label}: " + "; ".join(_describe(e) for e in exc.errors()))
            continue
        if source.id in first_index:
            first = first_index[source.id]
            problems.append(f"{label}: duplicate id, already used by sources[{first}]")
            continue
        first_index[source.id] = index
        sources.append(source)
    if problems:
        raise ConfigError("\n".join(problems))
    return sources


def _entry_label(path: Path, index: int, entry: Any) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"{path}: sources[{index}]" + (f" (id {ident!r})" if ident is not None else "")


def _describe(error: Any) -> str:
    """One pydantic error as `field message`, in the words of the sources file."""
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
    where = where.lstrip(".")
    kind = error["type"]
    if kind == "missing":
        return f"{where} is required"
    if kind == "extra_forbidden":
        allowed = ", ".join(Source.model_fields)
        return f"{where}: unknown field (allowed: {allowed})"
    message = error["msg"]
    if kind in _OWN_ERRORS:
        return f"{where} {message}"
    return f"{where}: {message[:1].lower()}{message[1:]}" if where else message
