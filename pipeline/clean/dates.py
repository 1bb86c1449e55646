"""Publication dates as pages write them, turned into aware UTC datetimes (or rejected)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Before the web carried news, a "date" on a page is a birthday, a founding year, a typo.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks and time zones disagree a little; a date further ahead is a scheduled event or a typo.
FUTURE_SLACK = timedelta(days=1)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = (
    r"(?:,?\s*(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2})?\s*(?P<ampm>[ap]\.?m\.?)?)?"
)
_WRITTEN_DATES = (
    # "November 18, 2019 12:01 PM", "Nov. 18, 2019"
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME, re.I),
    # "18 November 2019", "18th Nov 2019, 10:43"
    re.compile(
        r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})" + _TIME, re.I
    ),
)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
# "2019-11-20 10:43:00 -0500" and "2019-11-20T10:43:00.000+0000" are ISO 8601 in all but form.
_ISO_LIKE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$", re.I
)


def parse_date(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601, RFC 2822, epoch or written English; else None.

    A date without a time zone is taken as UTC: most such dates are a day with no time at all.
    """
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    parsed = _parse_iso(text) or _parse_epoch(text) or _parse_rfc2822(text) or _parse_written(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def plausible(value: datetime | None, fetched_at: datetime) -> datetime | None:
    """`value` if it could be the date of a page fetched at `fetched_at`, else None."""
    if value is None or not EARLIEST <= value <= fetched_at + FUTURE_SLACK:
        return None
    return value


def _parse_iso(text: str) -> datetime | None:
    if match := _ISO_LIKE.match(text):
        day, clock, zone = match.groups()
        text = f"{day}T{clock}{zone or ''}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_epoch(text: str) -> datetime | None:
    if not _EPOCH.match(text):
        return None
    seconds = int(text) / (1000 if len(text) == 13 else 1)
    return datetime.fromtimestamp(seconds, tz=UTC)


def _parse_rfc2822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_written(text: str) -> datetime | None:
    for pattern in _WRITTEN_DATES:
        if match := pattern.search(text):
            hour = int(match["hour"] or 0)
            ampm = (match["ampm"] or "").replace(".", "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            try:
                return datetime(
                    int(match["year"]),
                    _MONTHS[match["month"].lower()],
                    int(match["day"]),
                    hour,
                    int(match["minute"] or 0),
                    tzinfo=UTC,
                )
            except ValueError:
                return None
    return None
