"""Checks that the archive is what it says: hashes against texts, the index against the articles.

Every article keeps the SHA-256 of its body and of its text as received, and
so does every revision in its history. `hash_mismatches()` recomputes them
all, streaming the rows in batches; `index_differences()` compares the
articles (or, given `Quote`, the quotes) in the search index, and the version
of each that it holds, with those the database says it should hold.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from haystack import connections
from haystack.constants import DJANGO_CT, DJANGO_ID
from haystack.inputs import Exact
from haystack.query import SearchQuerySet
from haystack.utils import get_model_ct

from archive.models import (
    Article,
    Capture,
    IndexQueue,
    Quote,
    original_sha256_hex,
    sha256_hex,
)
from archive.search.indexes import database_versions

BATCH = 1000
HASHED_COLUMNS = ("pk", "slug", "body", "original_text", "body_sha256", "original_sha256")


@dataclass(frozen=True)
class HashMismatch:
    """A hash that does not match its text: the text was changed since it was hashed."""

    article_id: int
    slug: str
    text: str  # "body" or "original text"
    stored: str
    computed: str
    revision: int | None = None  # the history row, when the mismatch is in the history

    def __str__(self):
        where = f"article {self.slug!r} (id {self.article_id})"
        if self.revision is not None:
            where = f"revision {self.revision} of {where}"
        hash_name = "body_sha256" if self.text == "body" else "original_sha256"
        return (
            f"{where}: the {self.text} does not match its {hash_name} "
            f"(stored {self.stored or 'nothing'}, the text hashes to {self.computed or 'nothing'})"
        )


def text_hash_problems(
    body: str, original_text: str, body_sha256: str, original_sha256: str
) -> list[tuple[str, str, str]]:
    """(which text, stored hash, computed hash) for each hash that does not match its text.

    An article without a text as received has no original hash: both are empty.
    """
    problems = []
    computed = sha256_hex(body)
    if computed != body_sha256:
        problems.append(("body", body_sha256, computed))
    expected = original_sha256_hex(original_text)
    if original_sha256 != expected:
        problems.append(("original text", original_sha256, expected))
    return problems


@dataclass
class HashReport:
    articles: int = 0
    revisions: int = 0
    mismatches: list[HashMismatch] = field(default_factory=list)

    def __str__(self):
        checked = (
            f"Checked the hashes of {self.articles} article(s) and {self.revisions} revision(s)"
        )
        if not self.mismatches:
            return f"{checked}: all match."
        return f"{checked}: {len(self.mismatches)} hash(es) do not match."


def verify_hashes(
    batch_size: int = BATCH, progress: Callable[[HashReport], None] | None = None
) -> HashReport:
    """Recompute the hashes of every article and every revision in its history."""
    report = HashReport()
    for pk, slug, *texts in _in_batches(Article.objects.all(), HASHED_COLUMNS, batch_size):
        report.articles += 1
        report.mismatches.extend(
            HashMismatch(pk, slug, *problem) for problem in text_hash_problems(*texts)
        )
        if progress and report.articles % batch_size == 0:
            progress(report)
    revisions = Article.history.model.objects.all()
    columns = ("history_id", "id", "slug", *HASHED_COLUMNS[2:])
    for history_id, pk, slug, *texts in _in_batches(revisions, columns, batch_size):
        report.revisions += 1
        report.mismatches.extend(
            HashMismatch(pk, slug, *problem, revision=history_id)
            for problem in text_hash_problems(*texts)
        )
        if progress and report.revisions % batch_size == 0:
            progress(report)
    return report


@dataclass
class CaptureReport:
    """What checking the captures' WARC files found: each one missing or altered, and what is
    kept without an article or a capture (not a problem: nothing is deleted)."""

    captures: int = 0
    problems: list[str] = field(default_factory=list)
    detached: int = 0  # captures kept after their article was deleted
    unreferenced: list[str] = field(default_factory=list)  # files under captures/ of no capture

    def __str__(self):
        checked = f"Checked the WARC files of {self.captures} capture(s)"
        if self.detached:
            checked += f" ({self.detached} kept from deleted articles)"
        if not self.problems:
            line = f"{checked}: all present and matching their SHA-256."
        else:
            line = f"{checked}: {len(self.problems)} problem(s)."
        if self.unreferenced:
            line += (
                f"\n{len(self.unreferenced)} file(s) under captures/ belong to no capture; they "
                f"are kept (not a problem): {_ids(self.unreferenced, 20)}"
            )
        return line


CAPTURE_COLUMNS = ("pk", "article__slug", "warc_path", "warc_sha256", "text", "text_sha256")


def verify_captures(batch_size: int = BATCH) -> CaptureReport:
    """Check that every capture's WARC file is there and hashes to the SHA-256 stored with it,
    and that its extracted text matches its own hash; list the files of no capture."""
    from archive.webcapture.warc import captures_root, file_sha256

    report = CaptureReport()
    captures = Capture.objects.all()
    known = set()
    for pk, slug, path, stored, text, text_sha256 in _in_batches(
        captures, CAPTURE_COLUMNS, batch_size
    ):
        report.captures += 1
        known.add(path)
        if slug is None:
            report.detached += 1
            where = f"capture {pk} (its article was deleted)"
        else:
            where = f"capture {pk} of article {slug!r}"
        warc = Capture(warc_path=path).warc_file
        if not warc.is_file():
            report.problems.append(f"{where}: its WARC file {path} is missing")
        elif (computed := file_sha256(warc)) != stored:
            report.problems.append(
                f"{where}: its WARC file {path} does not match its SHA-256 "
                f"(stored {stored}, the file hashes to {computed})"
            )
        if sha256_hex(text) != text_sha256:
            report.problems.append(f"{where}: its extracted text does not match its SHA-256")
    root = captures_root()
    files = (root / "captures").rglob("*") if (root / "captures").is_dir() else ()
    report.unreferenced = sorted(
        name
        for name in (file.relative_to(root).as_posix() for file in files if file.is_file())
        if name not in known
    )
    return report


def _in_batches(queryset, columns, batch_size) -> Iterator[tuple]:
    """The rows' columns in primary-key order, `batch_size` rows per query.

    Each batch starts after the last key of the one before, so no query
    grows with the table and the texts are never all in memory at once.
    """
    queryset = queryset.order_by("pk")
    last = None
    while True:
        batch = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(batch.values_list(*columns)[:batch_size])
        yield from rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


@dataclass
class IndexDifferences:
    """How the search index differs from the published articles (or their quotes)."""

    published: int
    indexed: int
    missing: list[int]  # published, not in the index
    extra: list[int]  # in the index, not published (unpublished, deleted or unknown)
    queued: int  # changes waiting in the index queue, which may explain the differences
    # published and in the index, but written from an earlier save or other tags
    stale: list[int] = field(default_factory=list)
    kind: str = "article"
    # the articles to index again to bring these documents in line (for quotes, theirs)
    to_index: set[int] = field(default_factory=set)

    @property
    def in_line(self) -> bool:
        return not self.missing and not self.extra and not self.stale

    def articles(self) -> list[int]:
        """Every article whose index entries must be brought in line."""
        return sorted(self.to_index)

    def __str__(self):
        summary = (
            f"The search index holds {self.indexed} {self.kind}(s); {self.published} published."
        )
        if self.in_line:
            return f"{summary} They are the same."
        lines = [summary]
        if self.missing:
            lines.append(f"Missing from the index ({len(self.missing)}): ids {_ids(self.missing)}")
        if self.extra:
            lines.append(
                f"In the index but not published ({len(self.extra)}): ids {_ids(self.extra)}"
            )
        if self.stale:
            lines.append(
                f"Out of date in the index, written from an earlier version ({len(self.stale)}): "
                f"ids {_ids(self.stale)}"
            )
        if self.queued:
            lines.append(f"{self.queued} change(s) are still queued: run `manage.py sync_index`.")
        lines.append("`manage.py rebuild_index` brings the index in line with the database.")
        return "\n".join(lines)


def _ids(ids: list[int], shown: int = 50) -> str:
    text = ", ".join(map(str, ids[:shown]))
    return f"{text}, …" if len(ids) > shown else text


def indexed_article_ids(using: str = "default") -> set[int]:
    """The ids of every article in the search index, through haystack, whatever the engine."""
    return set(indexed_versions(Article, using))


def indexed_versions(model=Article, using: str = "default") -> dict[int, tuple[str | None, int]]:
    """Each `model` document in the search index: the version it was written from, and its
    article (an article's is its own id).

    Read a page at a time where the engine's extension can
    (archive.search.solr_backend: a SolrCloud may hold millions); else
    through haystack, in one slice. Asked as a filter on haystack's
    content-type field: the match-everything query that `.all()` sends makes
    Whoosh walk every term (50 times slower). An entry written before entries
    recorded their version has None.
    """
    stored_values = getattr(connections[using].get_backend(), "stored_values", None)
    if stored_values is not None:
        rows = (
            (doc[DJANGO_ID], doc.get("version"), doc.get("article", doc[DJANGO_ID]))
            for doc in stored_values(model, [DJANGO_ID, "version", "article"])
        )
        return {int(pk): (version, int(article)) for pk, version, article in rows}
    hits = SearchQuerySet(using=using).models(model)
    hits = hits.filter(**{DJANGO_CT: Exact(get_model_ct(model))})
    total = hits.count()
    if not total:
        return {}
    if model is Article:
        rows = hits.values_list("pk", "version")[:total]
        return {int(pk): (version, int(pk)) for pk, version in rows}
    rows = hits.values_list("pk", "version", "article")[:total]
    return {int(pk): (version, int(article)) for pk, version, article in rows}


def index_differences(using: str = "default", model=Article) -> IndexDifferences:
    """How the index differs from what the database says it should hold of `model`
    (published articles, or their quotes not rejected): missing, extra, or out of date.

    A change made while this reads may show as a difference already gone;
    bringing it in line again does no harm.
    """
    indexed = indexed_versions(model, using)
    expected = database_versions(model)
    both = expected.keys() & indexed.keys()
    missing = sorted(expected.keys() - indexed.keys())
    extra = sorted(indexed.keys() - expected.keys())
    stale = sorted(pk for pk in both if indexed[pk][0] != expected[pk][0])
    return IndexDifferences(
        published=len(expected),
        indexed=len(indexed),
        missing=missing,
        extra=extra,
        queued=IndexQueue.objects.values("article_id").distinct().count(),
        stale=stale,
        kind=model._meta.verbose_name,
        to_index={
            *(expected[pk][1] for pk in [*missing, *stale]),
            *(indexed[pk][1] for pk in extra),
        },
    )


INDEXED_MODELS = (Article, Quote)
