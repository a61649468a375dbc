"""Readable, unique slugs for imported articles and sources, found with one query per batch."""

from django.utils.text import slugify

from archive.ingest.records import IncomingArticle
from archive.models import Article, Source

SLUG_LENGTH = 80


def slug_base(title: str, fallback: str = "article") -> str:
    """The title as a slug, cut at a word to at most SLUG_LENGTH characters."""
    slug = slugify(title)
    if len(slug) > SLUG_LENGTH:
        cut = slug[: SLUG_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:SLUG_LENGTH]
    return slug.strip("-") or fallback


def unique_article_slugs(articles: list[IncomingArticle]) -> list[str]:
    """A slug for each article that no stored article and no other article in the list has.

    A title that is taken gets the first eight characters of the article's
    original hash appended, so the slug stays the same on any machine.
    """
    bases = [slug_base(article.title) for article in articles]
    alternatives = [
        f"{base}-{article.original_sha256[:8]}"
        for base, article in zip(bases, articles, strict=True)
    ]
    taken = set(
        Article.objects.filter(slug__in={*bases, *alternatives}).values_list("slug", flat=True)
    )
    slugs = []
    for base, alternative in zip(bases, alternatives, strict=True):
        slug = base if base not in taken else alternative
        number = 2
        while slug in taken or (slug not in (base, alternative) and slug_in_use(slug)):
            slug = f"{alternative}-{number}"
            number += 1
        taken.add(slug)
        slugs.append(slug)
    return slugs


def slug_in_use(slug: str) -> bool:
    return Article.objects.filter(slug=slug).exists()


def unique_source_slug(name: str) -> str:
    base = slug_base(name, fallback="source")
    slug, number = base, 2
    while Source.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug
