"""When the archive captured an article's text: the date an editor sets (for an article added by
hand, or to correct an import's), and the dates it may be.

An import records the moment it read the file; an article typed or pasted into
the admin has no capture until an editor gives the day the copy was taken. The
article page ("Captured") and its citation ("captured 1 December 2026") show
the day; the history keeps every value and who set it.
"""

import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date


def capture_date_problem(
    captured_on: datetime.date | None,
    published_on: datetime.date | None,
    today: datetime.date | None = None,
) -> str | None:
    """What is wrong with this capture date, or None.

    A copy cannot be taken in the future, nor before the article was published:
    the same day is accepted (a copy taken hours after publication). When the
    publication date is unknown only the first rule holds.
    """
    if captured_on is None:
        return None
    today = today or timezone.localdate()
    if captured_on > today:
        return f"A capture date cannot be in the future (today is {format_date(today, 'j F Y')})."
    if published_on is not None and captured_on < published_on:
        return (
            f"The article was published on {format_date(published_on, 'j F Y')}: a copy cannot "
            "have been captured before. Correct whichever date is wrong."
        )
    return None


def captured_on(captured_at: datetime.datetime | None) -> datetime.date | None:
    """The day of a capture, in the archive's time zone, as pages and citations show it."""
    return timezone.localdate(captured_at) if captured_at else None


def capture_moment(day: datetime.date | None) -> datetime.datetime | None:
    """The moment stored for a capture an editor dates by its day: the day's start."""
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
