"""Conditional GET for the public pages: a reader's browser revalidates and gets a 304.

The validators date the latest change to anything a public page shows
(`browse.archive_changed_at`, one indexed query) and the release of the code
and templates that render it, so a new design is not hidden behind a 304.
The pages are the same for every visitor (no user name, no CSRF token), so one
validator serves everybody; `Cache-Control: no-cache` has every cache ask
again before reusing a copy. The ETag also names the page's address with its
query: an article with every mention linked (?mentions=all) or with words
highlighted (?hl=) is another copy of the page, never taken for the plain one.
"""

import datetime
import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from archive import browse

# What renders a page: changing any of these files is a new release.
RELEASE_PATTERNS = ("archive/**/*.py", "templates/**/*.html", "static/**/*")


@functools.cache
def released_at() -> datetime.datetime:
    """When the code, templates or static files last changed on this machine."""
    base = Path(settings.BASE_DIR)
    newest = max(
        (path.stat().st_mtime for pattern in RELEASE_PATTERNS for path in base.glob(pattern)),
        default=0.0,
    )
    return datetime.datetime.fromtimestamp(newest, datetime.UTC)


def page_validators(
    address: str = "",
    changed: datetime.datetime | None = None,
    own_change: datetime.datetime | None = None,
) -> tuple[str, int] | None:
    """The ETag and Last-Modified time (a Unix timestamp) of the public page at `address`
    (its path and query) right now, or when the archive last changed at `changed`.
    `own_change` dates what only this page shows and the archive's changes do not cover
    (an article's stored related documents, worked out again in the background)."""
    changed = changed or browse.archive_changed_at()
    if changed is None:
        return None
    release = released_at()
    moment = max(changed, release, own_change or changed)
    own = own_change.isoformat() if own_change else "-"
    state = f"{changed.isoformat()} {release.isoformat()} {own} {address}"
    digest = hashlib.sha256(state.encode()).hexdigest()
    return quote_etag(digest[:32]), int(moment.timestamp())


def revalidated(view=None, *, own_change=None):
    """Answer a conditional GET with 304 when nothing the page shows has changed.

    `own_change(request, *args, **kwargs)`, if given, dates what only this page shows
    (page_validators). Only successful pages carry validators: a 404 or a redirect must
    not be revalidated into a 304 later.
    """
    if view is None:
        return functools.partial(revalidated, own_change=own_change)

    @functools.wraps(view)
    def conditional_view(request, *args, **kwargs):
        changed = browse.archive_changed_at()
        own = own_change(request, *args, **kwargs) if own_change else None
        validators = page_validators(request.get_full_path(), changed, own)
        response = None
        if validators is not None:
            etag, last_modified = validators
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            with browse.changed_at_known(changed):  # the counts the page keeps use it too
                response = view(request, *args, **kwargs)
        if validators is not None and response.status_code in (200, 304):
            response.headers.setdefault("ETag", etag)
            response.headers.setdefault("Last-Modified", http_date(last_modified))
        patch_cache_control(response, no_cache=True)
        return response

    return conditional_view
