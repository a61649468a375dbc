"""Read the publication dates that incoming files state, and refuse the impossible ones."""

import re
from datetime import date, datetime

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?P<time>[T ].*)?")
# A line that is nothing but a date, as pages print it under the headline:
# "Jun 17, 2020", "June 17 2020", "17 June 2020", "2020-06-17", optionally "Published on …".
TEXT_DATE = re.compile(
    r"(?:published(?: on)?:?\s+)?"
    r"(?:(?P<month>[a-z]{3,9})\.? (?P<day>\d{1,2}),? (?P<year>\d{4})"
    r"|(?P<day2>\d{1,2}) (?P<month2>[a-z]{3,9})\.?,? (?P<year2>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))",
    re.IGNORECASE,
)


class ImpossibleDate(ValueError):
    """A date that is written as one but does not exist, such as 2020-02-30."""


def calendar_date(year: int, month: int, day: int, written: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ImpossibleDate(f"impossible date {written!r} ({exc})") from None


def parse_iso_date(value: str) -> date:
    """The calendar date as written in an ISO 8601 date or date-time, whatever its time zone.

    '2006-10-20T16:25:00-04:00' is 2006-10-20: the date the record states, not
    the date in UTC.
    """
    match = ISO_DATE.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"date {value!r} is not an ISO 8601 date (YYYY-MM-DD)")
    stated = calendar_date(int(match["year"]), int(match["month"]), int(match["day"]), value)
    if match["time"]:
        try:
            datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"date {value!r} has a time that is not ISO 8601") from None
    return stated


def parse_text_date(line: str) -> date | None:
    """The date if `line` is only a date, None if it is anything else."""
    match = TEXT_DATE.fullmatch(" ".join(line.split()))
    if match is None:
        return None
    if match["iso"]:
        return parse_iso_date(match["iso"])
    month_name = (match["month"] or match["month2"]).lower()
    if month_name not in MONTHS:
        return None
    day = match["day"] or match["day2"]
    year = match["year"] or match["year2"]
    return calendar_date(int(year), MONTHS[month_name], int(day), line.strip())
