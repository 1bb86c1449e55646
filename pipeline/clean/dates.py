"""Publication dates as pages write them, turned into aware UTC datetimes (or rejected).

Why not dateparser: `parse_date` also classifies every short line of every page (is it a
dateline?), so it must be strict and cheap. Measured on 16 strings (written dates in seven
languages and short non-dates), dateparser 1.5.0 with those seven languages took 625 us per call
against 6.2 us here, read "May", "Monday" and "2 days ago" as dates (a bare month would make
"May" a dateline) and found none in "Veröffentlicht am 3. März 2025, 14:05 Uhr".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# Before the web carried news, a "date" on a page is a birthday, a founding year, a typo.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks and time zones disagree a little; a date further ahead is a scheduled event or a typo.
FUTURE_SLACK = timedelta(days=1)

# Month names and abbreviations in English, German, French, Spanish, Italian, Portuguese and
# Dutch. Where languages share a spelling they agree on the month ("mar", "mai", "ago").
_MONTH_NAMES = (
    "jan january januar janvier janv enero ene gennaio gen janeiro januari jän",
    "feb february februar février fevrier févr fevr febrero febbraio fevereiro fev februari",
    "mar march märz maerz mär mrz mars marzo março marco maart mrt",
    "apr april avril avr abril abr aprile",
    "may mai mayo maggio mag maio mei",
    "jun june juni juin junio giugno giu junho",
    "jul july juli juillet juil julio luglio lug julho",
    "aug august août aout agosto ago augustus",
    "sep sept september septembre septiembre setiembre settembre set setembro",
    "oct october oktober okt octobre octubre ottobre ott outubro out",
    "nov november novembre noviembre novembro",
    "dec december dezember dez décembre decembre déc diciembre dic dicembre dezembro",
)
_MONTHS = {
    name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
# The zones news sites write after a time of day. IST is India's (news in English uses it
# far more than Ireland's summer time); a zone not listed leaves the time as UTC, as before.
ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": 60, "IST": 330, "CET": 60, "CEST": 120,
    "EET": 120, "EEST": 180, "WET": 0, "WEST": 60, "MSK": 180, "JST": 540, "KST": 540,
    "HKT": 480, "SGT": 480, "AEST": 600, "AEDT": 660,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
}  # fmt: skip
# Upper case only: "ist" and "est" are words in German, French and Spanish dates.
_ZONES = "|".join(sorted(ZONES, key=len, reverse=True))
_ZONE = r"(?:\s*\(?(?-i:(?P<zone>" + _ZONES + r"))\b\)?)?"
_TIME = (
    r"(?:,?\s*(?:at|um|à|a las|às|alle|om|-)?\s*(?P<hour>\d{1,2})[:h](?P<minute>\d{2})"
    r"(?::\d{2})?\s*(?P<ampm>[ap]\.?m\.?)?" + _ZONE + r")?"
)
# "2 hours ago", "an hour ago", "3 days ago", "yesterday", "today": resolved against the fetch.
_RELATIVE = re.compile(
    r"^\s*(?:(?:updated|published|posted)\s+)?(?:(?P<count>\d{1,3}|an?|one)\s+"
    r"(?P<unit>sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?)\s+ago|"
    r"(?P<word>just now|today|yesterday))\b",
    re.I,
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|\.|º|°)?"
_WRITTEN_DATES = (
    # "November 18, 2019 12:01 PM", "Nov. 18, 2019"
    re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r",?\s+(?P<year>\d{4})" + _TIME, re.I),
    # "18 November 2019", "18th Nov 2019, 10:43", "1. Mai 2024", "1er mai 2024",
    # "1 de mayo de 2024"
    re.compile(
        r"\b" + _DAY + r"\s+(?:de\s+)?" + _MONTH + r",?\s+(?:de\s+)?(?P<year>\d{4})" + _TIME,
        re.I,
    ),
    # "01.05.2024", "1.5.2024 um 10:43": day first wherever dots separate the parts.
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})\b" + _TIME, re.I),
)
_DIGIT = re.compile(r"\d")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
# A time of day in a machine-readable date ("2025-05-27T20:30", "Tue, 27 May 2025 20:30:00").
_CLOCK = re.compile(r"\d{1,2}:\d{2}")
# "2019-11-20 10:43:00 -0500" and "2019-11-20T10:43:00.000+0000" are ISO 8601 in all but form.
_ISO_LIKE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$", re.I
)


@dataclass(frozen=True)
class PageDate:
    """A date as a page writes it."""

    at: datetime  # aware, UTC
    day: date  # the calendar day written, in the page's own time zone
    timed: bool  # a time of day was given, not only the day (whose `at` is 00:00 UTC)


def parse_date(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601, RFC 2822, epoch or written English; else None.

    A date without a time zone is taken as UTC: most such dates are a day with no time at all.
    """
    found = read_date(value)
    return found.at if found else None


def read_date(value: object, now: datetime | None = None) -> PageDate | None:
    """`parse_date`, telling a date with a time of day from a day alone. With `now` (the
    fetch time), a relative date ("2 hours ago", "yesterday") is read against it too."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    if now is not None and (relative := _parse_relative(text, now)):
        return relative
    # Every other form has digits (a year, an epoch, an ISO date): most short lines of a page
    # that come here have none, and the four readers below cost more than this test.
    if not _DIGIT.search(text):
        return None
    if parsed := _parse_iso(text):
        timed = _CLOCK.search(text) is not None
    elif parsed := _parse_epoch(text):
        timed = True
    elif parsed := _parse_rfc2822(text):
        timed = _CLOCK.search(text) is not None
        # The RFC 2822 reader takes "November 18, 2019 12:01 PM EST" too, losing the zone.
        if parsed.tzinfo is None and (written := _parse_written(text)):
            parsed, timed = written
    elif written := _parse_written(text):
        parsed, timed = written
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return PageDate(parsed.astimezone(UTC), parsed.date(), timed)


def plausible(value: datetime | None, fetched_at: datetime) -> datetime | None:
    """`value` if it could be the date of a page fetched at `fetched_at`, else None."""
    if value is None or not EARLIEST <= value <= fetched_at + FUTURE_SLACK:
        return None
    return value


def date_from_urls(urls: Iterable[str | None], fetched_at: datetime) -> datetime | None:
    """The day in the first of `urls` that carries one (".../2019/11/18/story"), read with
    htmldate's URL pattern, for a page that declares and shows no date. 00:00 UTC.

    Only the URL: htmldate's reading of the rest of the page was tried and dropped. On the 91
    dev pages it dated one page the cleaner could not, from its canonical URL, but where both
    found a date it disagreed on 9 of 88 (mostly a day of time zone, twice by weeks or years),
    and from a page declaring a date after its fetch it made the first of that month.
    """
    from htmldate.extractors import extract_url_date  # imports dateparser: few pages need it
    from htmldate.utils import Extractor

    options = Extractor(
        False,
        (fetched_at + FUTURE_SLACK).replace(tzinfo=None),
        EARLIEST.replace(tzinfo=None),
        True,
        "%Y-%m-%d",
    )
    for url in urls:
        if url and (found := extract_url_date(url, options)):
            return plausible(datetime.fromisoformat(found).replace(tzinfo=UTC), fetched_at)
    return None


def _parse_relative(text: str, now: datetime) -> PageDate | None:
    """ "2 hours ago" is a time (to the unit it names); "yesterday" and "3 days ago" a day."""
    match = _RELATIVE.match(text)
    if match is None:
        return None
    now = now.astimezone(UTC)
    if word := match["word"]:
        word = word.lower()
        if word == "just now":
            return PageDate(now, now.date(), True)
        day = now.date() - timedelta(days=1 if word == "yesterday" else 0)
        return PageDate(datetime(day.year, day.month, day.day, tzinfo=UTC), day, False)
    count = match["count"].lower()
    amount = int(count) if count.isdigit() else 1
    unit = _UNITS[match["unit"][0].lower()]
    at = now - timedelta(**{unit: amount})
    if unit in ("days", "weeks"):
        day = at.date()
        return PageDate(datetime(day.year, day.month, day.day, tzinfo=UTC), day, False)
    return PageDate(at, at.date(), True)


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


def _parse_written(text: str) -> tuple[datetime, bool] | None:
    """The first written date in `text`, and whether a time of day follows it."""
    for pattern in _WRITTEN_DATES:
        if match := pattern.search(text):
            hour = int(match["hour"] or 0)
            ampm = (match["ampm"] or "").replace(".", "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            month = match["month"]
            try:
                written = datetime(
                    int(match["year"]),
                    int(month) if month.isdigit() else _MONTHS[month.lower()],
                    int(match["day"]),
                    hour,
                    int(match["minute"] or 0),
                    tzinfo=UTC,
                )
            except ValueError:
                return None
            if zone := match["zone"]:
                written = written.replace(tzinfo=timezone(timedelta(minutes=ZONES[zone])))
            return written, match["hour"] is not None
    return None
