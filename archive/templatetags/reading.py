"""Template filters for the reading pages."""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def web_url(url: str | None) -> str:
    """The URL if it is an http(s) address a reader can safely follow, else an empty string.

    Stored URLs come from imported files; a `javascript:` address must never
    become a link.
    """
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""
