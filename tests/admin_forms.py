"""The article change form as a browser posts it, for the admin tests."""


def as_textarea(text: str) -> str:
    """A textarea's value as a browser submits it: every line end CRLF (HTML's form rules)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def form_data(article, **changes):
    """The change form's fields as the browser would post them (textareas with CRLF)."""
    data = {
        "title": article.title,
        "slug": article.slug,
        "status": article.status,
        "source": article.source_id or "",
        "published_on": article.published_on or "",
        "original_url": article.original_url or "",
        "authors": article.authors,
        "language": article.language,
        "body": as_textarea(article.body),
        "version": article.updated_at.isoformat() if article.updated_at else "",
        "captured_on": article.captured_at.date().isoformat() if article.captured_at else "",
    }
    for prefix in ("related_links", "mentions", "quotes"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    data.update(changes)
    if isinstance(data["body"], str):
        data["body"] = as_textarea(data["body"])
    return data
