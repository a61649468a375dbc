"""Where the capture commands (`capture`, `import_crawl`) file the articles they create: the
same two options, read the same way."""

from django.core.management.base import CommandError

from archive.models import Source


def add_filing_arguments(parser) -> None:
    parser.add_argument(
        "--draft", action="store_true", help="File new articles as drafts, not published."
    )
    parser.add_argument(
        "--source",
        metavar="SLUG",
        help="File new articles under this source instead of the publisher the page names.",
    )


def chosen_source(slug: str | None) -> Source | None:
    """The source `--source SLUG` names (None without the option); CommandError if none has it."""
    if not slug:
        return None
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        raise CommandError(f"No source has the slug {slug!r} (see /sources/).")
    return source
