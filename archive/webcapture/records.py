"""Capturing an address into the archive: the fetch, its WARC file, the Capture and the article.

A first capture of an address creates its article through the one save path
(`archive.articles.save_article`: tagging, quotes, index, history). A later capture of the
same address never overwrites it: it adds a Capture beside the others, and says whether the
extracted text changed since the one before.
"""

import hashlib
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus

from django.db import transaction
from django.db.models import Q

from archive.articles import save_article
from archive.ingest.cleaning import derive_title
from archive.ingest.slugs import SLUG_LENGTH, slug_base, slug_in_use, unique_source_slug
from archive.models import Article, Capture, Source, article_length_problem, sha256_hex
from archive.webcapture.crawls import CrawlPage
from archive.webcapture.extract import (
    HTML_TYPES,
    ExtractedArticle,
    ExtractionError,
    extract_article,
)
from archive.webcapture.fetch import Fetched, FetchError, Limits, fetch
from archive.webcapture.warc import warc_bytes


class CaptureError(Exception):
    """The address could not be captured; the message says why, for the editor."""


@dataclass
class CaptureResult:
    capture: Capture
    created: bool  # a new article, or a new capture of one the archive had
    text_changed: bool | None = None  # against the capture before; None for a first one

    @property
    def article(self) -> Article:
        return self.capture.article

    def __str__(self):
        where = self.article.get_absolute_url()
        if self.created:
            return where
        change = "text changed" if self.text_changed else "text unchanged"
        return f"{where} (captured again; {change} since the capture before)"


def capture_address(
    url: str, *, draft: bool = False, source: Source | None = None, limits: Limits | None = None
) -> CaptureResult:
    """Fetch `url`, keep its WARC, and file it as an article (or a new capture of one)."""
    try:
        fetched = fetch(url, limits)
    except FetchError as exc:
        raise CaptureError(str(exc)) from None
    return archive_page(fetched, warc_bytes(fetched), draft=draft, source=source)


def import_crawl_page(
    page: CrawlPage, *, draft: bool = False, source: Source | None = None
) -> CaptureResult | None:
    """File a page read from a crawl file as its WARC-Date's capture; None if the archive
    holds that capture already (the same address at the same moment: the crawl was imported
    before), so importing a crawl again adds nothing."""
    if Capture.objects.filter(final_url=page.final_url, fetched_at=page.fetched_at).exists():
        return None
    return archive_page(
        page, page.warc, draft=draft, source=source, imported_from=page.imported_from
    )


def archive_page(
    page: Fetched | CrawlPage,
    warc: bytes,
    *,
    draft: bool = False,
    source: Source | None = None,
    imported_from: str = "",
) -> CaptureResult:
    """File a page, fetched by the archive or read from a crawl, with its WARC file: as a
    new article, or as a new capture of the article its address was archived as."""
    _check_page(page)
    try:
        extracted = extract_article(page.body, page.final_url)
    except ExtractionError as exc:
        raise CaptureError(str(exc)) from None
    problem = article_length_problem(extracted.text)
    if problem:
        raise CaptureError(problem)
    return _store(page, extracted, warc, draft=draft, source=source, imported_from=imported_from)


def _check_page(fetched: Fetched | CrawlPage) -> None:
    if fetched.status != 200:
        try:
            reason = f" {HTTPStatus(fetched.status).phrase}"
        except ValueError:
            reason = ""
        raise CaptureError(
            f"{fetched.final_url} answered HTTP {fetched.status}{reason}, not the page"
        )
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    if media_type not in HTML_TYPES:
        raise CaptureError(
            f"{fetched.final_url} is {media_type or 'of no stated type'}, not an HTML page"
        )


def captured_article(url: str, final_url: str) -> Article | None:
    """The article this address was captured or imported as before, if any."""
    return (
        Article.objects.filter(
            Q(original_url__in=[url, final_url])
            | Q(captures__url=url)
            | Q(captures__final_url=final_url)
        )
        .order_by("pk")
        .first()
    )


def _store(fetched, extracted, warc: bytes, *, draft, source, imported_from) -> CaptureResult:
    with _warc_written() as written:
        with transaction.atomic():
            article = captured_article(fetched.url, fetched.final_url)
            created = article is None
            previous = None
            if created:
                article = save_article(_new_article(fetched, extracted, draft=draft, source=source))
            else:
                previous = article.captures.order_by("-fetched_at", "-pk").first()
            capture = _new_capture(article, fetched, extracted, warc, imported_from)
            written(capture, warc)
    text_changed = None if previous is None else previous.text_sha256 != capture.text_sha256
    return CaptureResult(capture=capture, created=created, text_changed=text_changed)


def keep_capture(article: Article, fetched: Fetched, extracted: ExtractedArticle) -> Capture:
    """A new capture of `article` from this fetch, its WARC file written: the page as it
    answered when the original was checked (archive.webcapture.originals)."""
    warc = warc_bytes(fetched)
    with _warc_written() as written, transaction.atomic():
        capture = _new_capture(article, fetched, extracted, warc, imported_from="")
        written(capture, warc)
    return capture


@contextmanager
def _warc_written():
    """Gives a function writing a capture's WARC file; the file is removed again if the
    block fails (its transaction is rolled back, so no capture names it)."""
    written = []

    def write(capture: Capture, warc: bytes) -> None:
        path = capture.warc_file
        written.append(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(warc)

    try:
        yield write
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _new_capture(
    article, fetched, extracted: ExtractedArticle, warc: bytes, imported_from
) -> Capture:
    year = fetched.fetched_at.year
    capture = Capture.objects.create(
        article=article,
        url=fetched.url,
        final_url=fetched.final_url,
        fetched_at=fetched.fetched_at,
        http_status=fetched.status,
        content_type=fetched.content_type[:200],
        # Named after its id once it has one, in the same transaction.
        warc_path=f"captures/{year}/pending-{uuid.uuid4().hex}.warc.gz",
        warc_sha256=hashlib.sha256(warc).hexdigest(),
        warc_size=len(warc),
        text=extracted.text,
        title=extracted.title.value or "",
        title_found_in=extracted.title.found_in,
        author=extracted.author.value or "",
        author_found_in=extracted.author.found_in,
        publisher=extracted.publisher.value or "",
        publisher_found_in=extracted.publisher.found_in,
        published_on=extracted.published_on.value,
        date_found_in=extracted.published_on.found_in,
        imported_from=imported_from[:300],
    )
    capture.warc_path = f"captures/{year}/{capture.pk}.warc.gz"
    capture.save(update_fields=["warc_path"])
    return capture


def _new_article(fetched, extracted: ExtractedArticle, *, draft, source) -> Article:
    paragraphs = extracted.paragraphs
    title = extracted.title.value
    if title and len(paragraphs) > 1 and repeats_title(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline, repeated at the top of the text
    article = Article(
        title=(title or derive_title(paragraphs[0]))[:500],
        title_origin=Article.TitleOrigin.STATED if title else Article.TitleOrigin.DERIVED,
        published_on=extracted.published_on.value,
        date_origin=Article.DateOrigin.METADATA if extracted.published_on.known else "",
        authors=(extracted.author.value or "")[:500],
        source=source or _source_named(extracted.publisher.value),
        body="\n\n".join(paragraphs),
        original_text=extracted.text,
        original_url=fetched.url,
        captured_at=fetched.fetched_at,
        status=Article.Status.DRAFT if draft else Article.Status.PUBLISHED,
    )
    if extracted.language:
        article.language = extracted.language
    article.slug = _unique_slug(article.title, sha256_hex(extracted.text))
    return article


# How a page's <title> joins the headline to the site's name ("Headline | Site").
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ")


def repeats_title(paragraph: str, title: str) -> bool:
    """Whether the text's first paragraph is the headline the archive stores as the title:
    the same words in any capitalisation, or the title is that headline and the site's
    name after a separator."""
    headline, title = (" ".join(text.split()).casefold() for text in (paragraph, title))
    if headline == title:
        return True
    return any(title.startswith(headline + separator) for separator in TITLE_SEPARATORS)


def _source_named(name: str | None) -> Source | None:
    """The source the page names (in any capitalisation), created if it is new."""
    if not name:
        return None
    name = name[:200]
    return Source.objects.filter(name__iexact=name).first() or Source.objects.create(
        name=name, slug=unique_source_slug(name)
    )


def _unique_slug(title: str, text_sha256: str) -> str:
    base = slug_base(title)[:SLUG_LENGTH]
    slug, number = base, 2
    if slug_in_use(slug):
        slug = f"{base}-{text_sha256[:8]}"
    while slug_in_use(slug):
        slug, number = f"{base}-{text_sha256[:8]}-{number}", number + 1
    return slug


@dataclass
class CaptureEntry:
    """One capture as the article page lists it."""

    capture: Capture
    text_changed: bool | None  # since the capture before; None for the first


def capture_before(capture: Capture) -> Capture | None:
    """The article's capture just before this one (by when they were fetched), if any."""
    return (
        Capture.objects.filter(article_id=capture.article_id)
        .filter(
            Q(fetched_at__lt=capture.fetched_at)
            | Q(fetched_at=capture.fetched_at, pk__lt=capture.pk)
        )
        .order_by("-fetched_at", "-pk")
        .first()
    )


def capture_history(article: Article) -> list[CaptureEntry]:
    """The article's captures, oldest first, each saying whether its text differs from the
    one before (by the SHA-256 of the extracted texts), in one query without the texts."""
    captures = article.captures.defer("text").order_by("fetched_at", "pk")
    entries, before = [], None
    for capture in captures:
        changed = None if before is None else capture.text_sha256 != before
        entries.append(CaptureEntry(capture, changed))
        before = capture.text_sha256
    return entries
