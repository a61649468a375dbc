"""The article change form as a browser posts it, for the admin tests."""


def form_data(article, **changes):
    """The change form's fields as the browser would post them."""
    data = {
        "title": article.title,
        "slug": article.slug,
        "status": article.status,
        "source": article.source_id or "",
        "published_on": article.published_on or "",
        "original_url": article.original_url or "",
        "authors": article.authors,
        "language": article.language,
        "body": article.body,
        "version": article.updated_at.isoformat() if article.updated_at else "",
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
    return data
