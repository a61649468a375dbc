"""Import article files: one transaction per file, duplicates recognised, search index in step."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from archive.articles import article_changed
from archive.ingest.files import SEED_TEXT, decode_utf8, file_format, find_input_files, open_input
from archive.ingest.jsonl import read_jsonl
from archive.ingest.records import IncomingArticle, InputError
from archive.ingest.seeds import parse_seed_text
from archive.ingest.slugs import unique_article_slugs, unique_source_slug
from archive.models import Article, Source
from archive.search.indexing import flush_index_queue

BATCH_SIZE = 500
INDEX_BATCH_SIZE = 5_000
PROGRESS_EVERY = 1_000

# What a newer version of the same article replaces. Status and slug stay:
# they are the archive's, not the source's.
UPDATED_FIELDS = [
    "title",
    "title_origin",
    "published_on",
    "date_origin",
    "source",
    "original_url",
    "authors",
    "body",
    "body_sha256",
    "original_text",
    "original_sha256",
    "external_id",
    "language",
    "captured_at",
    "updated_at",
]


@dataclass
class FileReport:
    path: Path
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    error: str | None = None
    index_problem: str | None = None
    # Set when bad records are skipped instead of refusing the file: what was
    # wrong with each, by line.
    skipped: list[str] | None = None
    # What was changed on the way in (control characters dropped), by line.
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> str:
        return counts(self.created, self.unchanged, self.updated, self.skipped)


def counts(created: int, unchanged: int, updated: int, skipped: list[str] | None) -> str:
    text = f"{created:,} new, {unchanged:,} unchanged, {updated:,} updated"
    return text if skipped is None else f"{text}, {len(skipped):,} skipped"


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    skip_invalid: bool = False

    @property
    def created(self) -> int:
        return sum(f.created for f in self.files)

    @property
    def unchanged(self) -> int:
        return sum(f.unchanged for f in self.files)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.error or f.index_problem]

    @property
    def skipped(self) -> list[str] | None:
        if not self.skip_invalid:
            return None
        return [problem for f in self.files for problem in f.skipped or ()]

    @property
    def summary(self) -> str:
        return counts(self.created, self.unchanged, self.updated, self.skipped)


class Progress:
    """Tells `show` (a function taking a line of text) how far a long import has got."""

    def __init__(self, show: Callable[[str], None] | None = None):
        self.show = show
        self.records = 0

    def record_read(self):
        self.records += 1
        if self.show and self.records % PROGRESS_EVERY == 0:
            self.show(f"{self.records:,} records…")

    def indexed(self, done: int, total: int):
        if self.show and total > INDEX_BATCH_SIZE:
            self.show(f"{done:,} of {total:,} articles indexed…")


def import_paths(
    paths: Iterable[Path | str],
    progress: Callable[[str], None] | None = None,
    *,
    skip_invalid: bool = False,
    index: bool = True,
) -> ImportReport:
    """Import files and directories of them (recursively, in name order).

    `progress` is given a line of text every PROGRESS_EVERY records read and
    after each batch of a large file's indexing. A bad file is reported and
    skipped; the others are imported. With `skip_invalid`, a bad record in a
    JSON Lines file is reported and skipped instead of refusing its file.
    With `index` false, the articles stay queued for `manage.py sync_index`.
    """
    report = ImportReport(skip_invalid=skip_invalid)
    tracker = Progress(progress)
    waiting = Unindexed(tracker)
    for path in map(Path, paths):
        if path.is_dir():
            files = find_input_files(path)
            if not files:
                problem = "holds no .txt, .jsonl or .jsonl.gz files"
                report.files.append(FileReport(path, error=str(InputError(path, problem))))
        else:
            files = [path]
        for file in files:
            file_report = import_file(file, tracker, skip_invalid=skip_invalid, index=False)
            report.files.append(file_report)
            if index:
                waiting.add(file_report)
    waiting.index_on_commit()
    return report


class Unindexed:
    """The files whose new and updated articles are stored and queued but not yet indexed.

    Small files imported together (a folder of .txt files) are indexed together, in one
    write, instead of one write (and one new segment of the index) each; once
    INDEX_BATCH_SIZE articles wait, they are indexed before the next file is read, so a
    long import becomes searchable as it goes.
    """

    def __init__(self, progress: Progress):
        self.progress = progress
        self.files: list[FileReport] = []
        self.waiting = 0  # their new and updated articles

    def add(self, file: FileReport):
        if file.created or file.updated:
            self.files.append(file)
            self.waiting += file.created + file.updated
            if self.waiting >= INDEX_BATCH_SIZE:
                self.index_on_commit()

    def index_on_commit(self):
        """Index once the articles are committed (at once outside a transaction)."""
        transaction.on_commit(self.index)

    def index(self):
        """Bring the search index in line with the files' articles; a failure is reported
        on each file (its articles stay saved and queued)."""
        if not self.files:
            return
        files, total, self.files, self.waiting = self.files, self.waiting, [], 0
        try:
            flush_index_queue(
                batch_size=INDEX_BATCH_SIZE,
                progress=lambda done: self.progress.indexed(done, total),
            )
        except Exception as exc:  # the articles are saved and queued: say how to finish
            for file in files:
                file.index_problem = (
                    f"{file.path}: articles saved, but the search index could not take them "
                    f"({exc}); they are queued: run `manage.py sync_index`"
                )


def import_file(
    path: Path, progress: Progress | None = None, *, skip_invalid: bool = False, index: bool = True
) -> FileReport:
    """Import every article in one file, or nothing from it if any of them is bad.

    With `skip_invalid`, the bad records of a JSON Lines file are listed in the
    report's `skipped` and the good ones imported.
    """
    progress = progress or Progress()
    batches = ArticleBatches(path, timezone.now(), progress)
    if skip_invalid:
        batches.report.skipped = []
    try:
        with transaction.atomic():
            for article in articles_in(path, batches.skip if skip_invalid else None):
                batches.add(article)
                progress.record_read()
            batches.flush()
            # Tagged, quoted and queued in the same transaction: a crash after the
            # commit loses nothing, and each article is indexed once, tagged. The
            # flush is this file's own, with progress and a report of any problem.
            article_changed(batches.changed_ids, flush=False)
    except InputError as exc:
        return FileReport(path, error=str(exc))
    except IntegrityError as exc:
        # Another import stored the same article or slug meanwhile.
        return FileReport(path, error=f"{path}: the database refused the file ({exc})")
    if index:
        waiting = Unindexed(progress)
        waiting.add(batches.report)
        waiting.index_on_commit()
    return batches.report


def articles_in(
    path: Path, skip_invalid: Callable[[InputError], None] | None = None
) -> Iterator[IncomingArticle]:
    file_type = file_format(path)
    if file_type is None:
        if not path.exists():
            raise InputError(path, "no such file or directory")
        if path.name.lower().endswith((".warc", ".warc.gz", ".wacz")):
            raise InputError(path, "a crawl: `manage.py import_crawl` archives its pages")
        raise InputError(path, "not an importable file: expected .txt, .jsonl or .jsonl.gz")
    if file_type == SEED_TEXT:
        with open_input(path) as stream:
            data = stream.read()
        yield parse_seed_text(path, decode_utf8(data, path))
    else:
        yield from read_jsonl(path, skip_invalid)


def identity_keys(article: IncomingArticle) -> set[tuple[str, str]]:
    keys = {("original", digest) for digest in article.original_hashes}
    keys.add(("body", article.body_sha256))
    if article.original_url:
        keys.add(("url", article.original_url))
    return keys


class ArticleBatches:
    """Collects one file's articles and stores them a batch at a time."""

    def __init__(self, path: Path, captured_at: datetime, progress: Progress):
        self.path = path
        self.captured_at = captured_at
        self.progress = progress
        self.report = FileReport(path)
        self.change_reason = f"Imported from {path.name}"[:100]
        self.changed_ids: list[int] = []
        self.sources: dict[str, Source] = {}
        self.pending: list[IncomingArticle] = []
        self.pending_keys: set[tuple[str, str]] = set()

    def add(self, article: IncomingArticle):
        keys = identity_keys(article)
        # A second copy of a pending article must find the first one in the
        # database, so the batch is stored before it.
        if len(self.pending) >= BATCH_SIZE or keys & self.pending_keys:
            self.flush()
        self.pending.append(article)
        self.pending_keys |= keys
        self.report.notes.extend(article.notes)

    def skip(self, problem: InputError):
        self.report.skipped.append(str(problem))
        self.progress.record_read()

    def flush(self):
        if not self.pending:
            return
        new, changed = [], []
        for article, stored in zip(self.pending, stored_matches(self.pending), strict=True):
            if stored is None:
                new.append(article)
            elif article.original_url and stored["original_sha256"] not in article.original_hashes:
                changed.append((article, stored["id"]))
            else:
                self.report.unchanged += 1
        self.create(new)
        self.update(changed)
        self.pending, self.pending_keys = [], set()

    def source(self, name: str | None) -> Source | None:
        """The source of that name (in any capitalisation), created if it is new."""
        if name is None:
            return None
        key = name.casefold()
        if key not in self.sources:
            self.sources[key] = Source.objects.filter(
                name__iexact=name
            ).first() or Source.objects.create(name=name, slug=unique_source_slug(name))
        return self.sources[key]

    def create(self, articles: list[IncomingArticle]):
        if not articles:
            return
        slugs = unique_article_slugs(articles)
        created = bulk_create_with_history(
            [
                Article(
                    title=article.title,
                    title_origin=article.title_origin,
                    slug=slug,
                    source=self.source(article.source_name),
                    published_on=article.published_on,
                    date_origin=article.date_origin,
                    original_url=article.original_url,
                    authors=article.authors,
                    body=article.body,
                    body_sha256=article.body_sha256,
                    original_text=article.original_text,
                    original_sha256=article.original_sha256,
                    external_id=article.external_id,
                    language=article.language,
                    status=Article.Status.PUBLISHED,
                    captured_at=self.captured_at,
                )
                for article, slug in zip(articles, slugs, strict=True)
            ],
            Article,
            batch_size=BATCH_SIZE,
            default_change_reason=self.change_reason,
        )
        self.changed_ids.extend(article.pk for article in created)
        self.report.created += len(created)

    def update(self, changes: list[tuple[IncomingArticle, int]]):
        if not changes:
            return
        stored = Article.objects.in_bulk([pk for _, pk in changes])
        updated = [self.apply(article, stored[pk]) for article, pk in changes]
        bulk_update_with_history(
            updated,
            Article,
            UPDATED_FIELDS,
            batch_size=BATCH_SIZE,
            default_change_reason=self.change_reason,
        )
        self.changed_ids.extend(article.pk for article in updated)
        self.report.updated += len(updated)

    def apply(self, incoming: IncomingArticle, article: Article) -> Article:
        """The stored article brought up to the incoming version.

        What an editor set stays; what the new version leaves unknown (null)
        keeps its stored value.
        """
        if article.title_origin != Article.TitleOrigin.EDITOR and (
            incoming.title_origin == Article.TitleOrigin.STATED
            or article.title_origin == Article.TitleOrigin.DERIVED
        ):
            article.title, article.title_origin = incoming.title, incoming.title_origin
        if article.date_origin != Article.DateOrigin.EDITOR and incoming.published_on:
            article.published_on, article.date_origin = incoming.published_on, incoming.date_origin
        if incoming.source_name:
            article.source = self.source(incoming.source_name)
        article.original_url = incoming.original_url or article.original_url
        article.authors = incoming.authors or article.authors
        article.external_id = incoming.external_id or article.external_id
        article.language = incoming.language or article.language
        article.body = incoming.body
        article.body_sha256 = incoming.body_sha256
        article.original_text = incoming.original_text
        article.original_sha256 = incoming.original_sha256
        article.captured_at = self.captured_at
        article.updated_at = timezone.now()
        return article


def stored_matches(articles: list[IncomingArticle]) -> list[dict | None]:
    """For each article, the stored article it is a version of, or None; one query for all.

    An article with a URL is the stored one with that URL, or else a stored
    one without a URL and with the same original or body. An article without
    a URL is any stored one with the same original, or else the same body.
    """
    urls = {a.original_url for a in articles if a.original_url}
    originals = {digest for a in articles for digest in a.original_hashes}
    bodies = {a.body_sha256 for a in articles}
    rows = (
        Article.objects.filter(
            Q(original_url__in=urls) | Q(original_sha256__in=originals) | Q(body_sha256__in=bodies)
        )
        .order_by("pk")
        .values("id", "original_url", "original_sha256", "body_sha256")
    )
    by_url, by_original, by_body, by_original_no_url, by_body_no_url = {}, {}, {}, {}, {}
    for row in rows:
        if row["original_url"]:
            by_url[row["original_url"]] = row
        by_original.setdefault(row["original_sha256"], row)
        by_body.setdefault(row["body_sha256"], row)
        if not row["original_url"]:
            by_original_no_url.setdefault(row["original_sha256"], row)
            by_body_no_url.setdefault(row["body_sha256"], row)

    def match(article):
        if article.original_url:
            found = by_url.get(article.original_url)
            originals, bodies = by_original_no_url, by_body_no_url
        else:
            found = None
            originals, bodies = by_original, by_body
        for digest in article.original_hashes:
            found = found or originals.get(digest)
        return found or bodies.get(article.body_sha256)

    return [match(article) for article in articles]
