"""The archive's records: sources, articles, curated entities and the links between them."""

import hashlib
import json
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from archive.paragraphs import FIRST, anchor
from archive.supplied_text import supplied_text

PARAGRAPH_SEPARATOR = "\n\n"
# A paragraph ends at a blank line, even one holding spaces or tabs.
BLANK_LINE = re.compile(r"\n[ \t]*\n")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def original_sha256_hex(original_text: str) -> str:
    """The fingerprint of an article as received: SHA-256 of the text, "" if there is none.

    A JSON record is hashed in canonical form (keys sorted, no spaces), so the
    same record written out again in another order or spacing is recognised.
    """
    if not original_text:
        return ""
    if original_text.lstrip().startswith("{"):
        try:
            record = json.loads(original_text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            return sha256_hex(canonical_json(record))
    return sha256_hex(original_text)


def canonical_json(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def article_length_problem(text: str) -> str | None:
    """What is wrong with the length of an article's text, or None.

    One limit for imports and the admin alike (ARCHIVE_MAX_ARTICLE_CHARS).
    """
    limit = settings.ARCHIVE_MAX_ARTICLE_CHARS
    if len(text) <= limit:
        return None
    return (
        f"the article text is {len(text):,} characters long; at most {limit:,} are allowed "
        "(ARCHIVE_MAX_ARTICLE_CHARS): split it into parts"
    )


def validate_article_length(text: str):
    problem = article_length_problem(text)
    if problem:
        raise ValidationError(f"{problem[0].upper()}{problem[1:]}.", code="too_long")


class Source(models.Model):
    """A publisher. Articles whose publisher is not stated have no source at all."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    homepage = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("source-detail", args=[self.slug])


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Article.Status.PUBLISHED)

    def by_id(self, ids) -> dict:
        """These of the articles, by id (a dict, as `in_bulk`), read without the articles'
        default order: ordered, SQLite walks the (status, published_on) index through every
        published article to hand them over by date, instead of looking up each id (10 ms
        against 0.6 ms for the ten articles of a related list at 100,000 articles)."""
        return self.order_by().in_bulk(ids)

    def newest_first(self):
        """Dated articles newest first, undated ones after them."""
        return self.order_by(models.F("published_on").desc(nulls_last=True), "-id")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class TitleOrigin(models.TextChoices):
        STATED = "stated", "Stated in the source"
        DERIVED = "derived", "Derived from the lead by the importer"
        EDITOR = "editor", "Written by an editor"

    class DateOrigin(models.TextChoices):
        METADATA = "metadata", "Stated in the record's metadata"
        TEXT = "text", "Stated in the article's text"
        EDITOR = "editor", "Set by an editor"

    title = models.CharField(max_length=500)
    title_origin = models.CharField(
        max_length=10, choices=TitleOrigin.choices, default=TitleOrigin.EDITOR
    )
    slug = models.SlugField(max_length=255, unique=True)
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
        help_text="Leave empty when the publisher is not stated: it is shown as “source unknown”.",
    )
    published_on = models.DateField(
        null=True, blank=True, help_text="Leave empty when no date is stated."
    )
    date_origin = models.CharField(
        max_length=10, choices=DateOrigin.choices, blank=True, help_text="Where the date came from."
    )
    # NULL, not "", for "no URL": the unique constraint then ignores it.
    original_url = models.URLField(max_length=2000, null=True, blank=True)  # noqa: DJ001
    authors = models.CharField(max_length=500, blank=True, help_text="As stated in the byline.")
    body = models.TextField(
        help_text="Plain text; paragraphs separated by a blank line.",
        validators=[validate_article_length],
    )
    original_text = models.TextField(
        blank=True, help_text="The text exactly as received, before any cleaning."
    )
    external_id = models.CharField(
        max_length=300, blank=True, help_text="The identifier given by the file it came from."
    )
    language = models.CharField(max_length=16, default="en")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    captured_at = models.DateTimeField(
        null=True, blank=True, help_text="When the archive received the text."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    body_sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    original_sha256 = models.CharField(max_length=64, editable=False, db_index=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = [models.F("published_on").desc(nulls_last=True), "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["original_url"],
                condition=Q(original_url__isnull=False),
                name="unique_original_url",
            )
        ]
        indexes = [
            # Every list of articles is of published ones, newest first (then by id, which
            # each index holds): a page's ids are read from these alone (browse.ArticlePaginator).
            models.Index(fields=["status", "published_on"]),
            models.Index(fields=["source", "status", "published_on"]),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = normalise_body(self.body)
        self.body_sha256 = sha256_hex(self.body)
        self.original_sha256 = original_sha256_hex(self.original_text)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            # Every save moves updated_at, even of one field (a status change): the
            # index queue and `verify` tell an entry written before a change by it.
            update_fields = {*update_fields, "updated_at"}
            if "body" in update_fields:
                update_fields |= {"body_sha256", "original_sha256"}
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("article-detail", args=[self.slug])

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def paragraphs(self) -> list[str]:
        """The paragraphs in order; `archive.paragraphs` gives their numbers (¶1 first)."""
        return self.body.split(PARAGRAPH_SEPARATOR) if self.body else []


def normalise_body(body: str) -> str:
    """One blank line between paragraphs, no stray whitespace, LF line ends, no controls.

    Editors type into a textarea (CRLF, trailing spaces, a line of spaces
    between paragraphs); the hash and the paragraph anchors must not change
    because of that.
    """
    paragraphs = (" ".join(p.split()) for p in BLANK_LINE.split(supplied_text(body)))
    return PARAGRAPH_SEPARATOR.join(p for p in paragraphs if p)


class Entity(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        PLACE = "place", "Place"
        GROUP = "group", "Group"
        DOCUMENT = "document", "Document or event"

    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=300, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Two texts, for two audiences: what readers see, and what editors note for each other
    # (where a fact comes from, "(seed 002)", doubts). Public pages show only the first.
    public_description = models.TextField(
        blank=True,
        help_text="Shown to readers on the entity's page: one or two sentences written for "
        "them, with no notes for editors.",
    )
    notes = models.TextField(
        blank=True,
        verbose_name="notes for editors",
        help_text="Never shown on public pages: sources of the facts, doubts, work to do.",
    )
    reference_url = models.URLField(max_length=1000, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="unique_entity")]
        # Merging deletes the merged entities (their names live on as aliases and
        # their pages redirect), so it is a right of its own, not part of "change".
        permissions = [("merge_entity", "Can merge entities")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("entity-detail", args=[self.slug])


class EntityRedirect(models.Model):
    """The slug of an entity merged into another: its old URL leads to the one kept."""

    old_slug = models.SlugField(max_length=300, unique=True)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_slug} → {self.entity.slug}"


class Alias(models.Model):
    """Another spelling of an entity's name (transliteration, abbreviation, variant)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    case_sensitive = models.BooleanField(
        default=False,
        help_text="Match only with this exact capitalisation (for names that are also words).",
    )

    class Scope(models.TextChoices):
        FROM_NAME = "", "Decided from the name (partial if one word of a longer name)"
        FULL = "full", "Full: tags wherever it appears"
        PARTIAL = "partial", "Partial: tags only beside the full name or an editor's tag"

    scope = models.CharField(
        max_length=10,
        choices=Scope.choices,
        default=Scope.FROM_NAME,
        blank=True,
        help_text="A partial name (a surname, a short form) is tagged only in articles that "
        "also name the entity in full or where an editor tagged it; elsewhere it is offered "
        "as a possible mention. See docs/entities.md.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="unique_alias_per_entity")
        ]

    def __str__(self):
        return self.name


class Mention(models.Model):
    """An entity named in an article, where the position is known."""

    class Origin(models.TextChoices):
        AUTOMATIC = "automatic", "Found by the tagger"
        EDITOR = "editor", "Added by an editor"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="mentions")
    paragraph = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST)],
        help_text="The paragraph as readers see it (¶1 is the first); empty for a whole-article "
        "tag.",
    )
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    surface = models.CharField(
        max_length=300, blank=True, help_text="The words as they appear in the text."
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EDITOR)
    rejected = models.BooleanField(
        default=False, help_text="An editor judged this tag wrong; re-tagging keeps it rejected."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "paragraph", "start"]
        indexes = [
            models.Index(fields=["entity", "rejected"]),
            # An article's mentions of one entity, without scanning every
            # mention of that entity (50,000 of "China" at 100,000 articles).
            models.Index(fields=["article", "entity", "rejected"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(paragraph__isnull=True) | Q(paragraph__gte=FIRST),
                name="mention_paragraph_numbered_from_1",
            )
        ]

    def __str__(self):
        return f"{self.entity} in {self.article}"


class RelatedLink(models.Model):
    """An editor's statement that two articles belong together."""

    from_article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="related_links"
    )
    to_article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["from_article", "to_article"], name="unique_link"),
            models.CheckConstraint(
                condition=~Q(from_article=models.F("to_article")), name="no_self_link"
            ),
        ]

    def __str__(self):
        return f"{self.from_article} → {self.to_article}"


class RelatedList(models.Model):
    """The computed part of an article's related documents, worked out once per state of it.

    Derived data (archive.related): not in the history and not exported, so a
    restore leaves it empty and it is computed again. `version` is the state of
    the article it was computed from (`search.indexes.entry_version`: its last
    save and its tags); a list of another version is stale. `related` holds
    [article id, reason] pairs, best first; the articles are read, and drafts
    and deleted ones left out, when the list is shown.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="related_list"
    )
    version = models.TextField()
    related = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"related documents of article {self.article_id}"


class IndexQueue(models.Model):
    """An article whose search-index entry must be brought in line with the database.

    Written in the same transaction as the change itself, and deleted only
    after the index has taken it, so no change is lost when the index is
    busy (Whoosh has one writer at a time) or a process dies mid-update.
    """

    article_id = models.BigIntegerField(db_index=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"article {self.article_id} queued at {self.queued_at:%Y-%m-%d %H:%M:%S}"


class QuoteQuerySet(models.QuerySet):
    def with_articles(self):
        """The quotes with their articles, sources and speakers, but not the articles' texts:
        a list of quotes never shows them, and a long article's would be loaded once a quote."""
        return self.select_related("article__source", "speaker").defer(
            "article__body", "article__original_text"
        )


class Quote(models.Model):
    """Words an article puts between quotation marks as someone's speech, and who said them.

    `text` is `[start:end]` of the article's paragraph numbered `paragraph`
    (¶1 is the first, archive.paragraphs). `speaker_name` is the speaker as the article writes
    them, blank when the article does not say; `speaker` the entity, when
    one matches. What an editor decided outlives re-extraction: a rejected
    quote stays rejected, a corrected speaker stays, and quotes an editor
    added, split or merged (origin "editor") are kept as they are.
    """

    class Origin(models.TextChoices):
        EXTRACTED = "extracted", "Found by the extractor"
        EDITOR = "editor", "Added, split or merged by an editor"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="quotes")
    paragraph = models.PositiveIntegerField(
        validators=[MinValueValidator(FIRST)],
        help_text="The paragraph as readers see it (¶1 is the first), as for mentions.",
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField(help_text="The quotation as the article writes it, without its marks.")
    normalised_text = models.TextField(blank=True, editable=False)
    key = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    shingle_count = models.PositiveIntegerField(default=0, editable=False)
    speaker_name = models.CharField(
        max_length=300, blank=True, help_text="As the article names them; empty if it does not."
    )
    speaker = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    speaker_corrected = models.BooleanField(
        default=False, help_text="An editor set the speaker; re-extraction keeps it."
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EDITOR)
    rejected = models.BooleanField(
        default=False, help_text="Not a quotation (title, scare quotes); re-extraction keeps it so."
    )

    history = HistoricalRecords(excluded_fields=["normalised_text", "key", "shingle_count"])
    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["article", "paragraph", "start"]
        indexes = [
            models.Index(fields=["speaker", "rejected"]),
            models.Index(fields=["article", "paragraph"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(paragraph__gte=FIRST), name="quote_paragraph_numbered_from_1"
            )
        ]

    def __str__(self):
        words = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        return f"“{words}” ({self.speaker_name or 'unattributed'})"

    def save(self, *args, **kwargs):
        """Save the quote with its derived fields and runs of words (QuoteShingle).

        Bulk writes (re-extraction) and raw saves (loaddata, a restore) do
        not come through here: the first store the runs themselves, the
        second bring them with the quote.
        """
        from archive.quotes.tracing import store_shingles

        self.refresh_normalised()
        super().save(*args, **kwargs)
        store_shingles([self])

    def refresh_normalised(self) -> None:
        """Bring the derived fields in line with `text` (bulk writes call this themselves)."""
        from archive.quotes.normalise import normalise_quote, quote_key, shingles

        self.normalised_text = normalise_quote(self.text)
        self.key = quote_key(self.normalised_text)
        self.shingle_count = len(shingles(self.normalised_text))

    @property
    def anchor(self) -> str:
        """The anchor of the quote's paragraph on the article page."""
        return anchor(self.paragraph)


class QuoteShingle(models.Model):
    """A hash of five consecutive words of a quote: quotes sharing most are one quotation."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="shingles")
    hash = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quote", "hash"], name="unique_quote_shingle")
        ]

    def __str__(self):
        return f"{self.hash:x} of quote {self.quote_id}"


class Capture(models.Model):
    """A copy of an article's page fetched from the web, kept as a WARC file (the evidence).

    A capture is never changed or replaced: capturing the address again adds another. What
    the page's metadata gave (title, author, publisher, publication date) is kept with where
    it was found; a blank `…_found_in` means the page did not say.
    """

    # Deleting an article keeps its captures (the evidence), detached: their WARC files stay
    # checked by `verify` and carried by exports; the admin lists them ("article: empty").
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captures",
        help_text="Empty once the article is deleted: the capture and its WARC file are kept.",
    )
    url = models.URLField(max_length=2000, help_text="The address asked for.")
    final_url = models.URLField(max_length=2000, help_text="The address the redirects led to.")
    fetched_at = models.DateTimeField()
    http_status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=200, blank=True)
    warc_path = models.CharField(
        max_length=300, unique=True, help_text="The WARC file, under ARCHIVE_DATA_DIR."
    )
    warc_sha256 = models.CharField(max_length=64)
    warc_size = models.PositiveBigIntegerField()
    text = models.TextField(blank=True, help_text="The text extracted, exactly as extracted.")
    text_sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    title = models.CharField(max_length=500, blank=True)
    title_found_in = models.CharField(max_length=100, blank=True)
    author = models.CharField(max_length=500, blank=True)
    author_found_in = models.CharField(max_length=100, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    publisher_found_in = models.CharField(max_length=100, blank=True)
    published_on = models.DateField(null=True, blank=True)
    date_found_in = models.CharField(max_length=100, blank=True)
    imported_from = models.CharField(
        max_length=300,
        blank=True,
        help_text=(
            "The crawl file (WARC or WACZ) this capture was imported from, made by another "
            "tool; blank when the archive fetched the page itself."
        ),
    )

    class Meta:
        ordering = ["article", "fetched_at", "id"]
        indexes = [
            models.Index(fields=["article", "fetched_at"]),
            models.Index(fields=["fetched_at"]),  # the newest, for the pages' validators
        ]

    def __str__(self):
        return f"{self.final_url} captured {self.fetched_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        self.text_sha256 = sha256_hex(self.text)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("article-capture", args=[self.article.slug, self.pk])

    @property
    def warc_file(self) -> Path:
        return Path(settings.DATA_DIR) / self.warc_path


class OriginalCheck(models.Model):
    """What the original address answered when the archive asked again whether it still
    stands (`manage.py check_originals`). Checks are kept, never changed: together they are
    the history of the original.

    "Could not be checked" (a time-out, a server error, a refused address) says nothing
    about whether the page is gone; only a 404 or 410, or a host name that no longer
    exists, is "gone".
    """

    class Outcome(models.TextChoices):
        ONLINE = "online", "still online"
        CHANGED = "changed", "changed since the capture"
        MOVED = "moved", "moved to another address"
        GONE = "gone", "no longer online"
        UNCHECKED = "unchecked", "could not be checked"

    article = models.ForeignKey(
        Article,
        null=True,
        on_delete=models.SET_NULL,
        related_name="original_checks",
        help_text="Empty once the article is deleted: the checks of its original are kept.",
    )
    url = models.URLField(max_length=2000, help_text="The address asked.")
    # Text, not a bounded URLField: a redirect may lead to an address of any length, and a
    # check records it whole or not at all.
    final_url = models.TextField(
        blank=True, help_text="Where its redirects led, if anywhere answered."
    )
    checked_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The final response's status; empty if none came."
    )
    detail = models.TextField(blank=True, help_text="What was found, in words.")
    text_changed = models.BooleanField(
        null=True,
        blank=True,
        help_text="Whether the page's text differs from the capture compared with; empty when "
        "there was none to compare with or no page to read.",
    )
    compared_with = models.ForeignKey(
        Capture, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.ForeignKey(
        Capture,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="found_by_check",
        help_text="The capture kept of the page as it answered, when it had changed or moved.",
    )

    class Meta:
        ordering = ["article", "checked_at", "id"]
        indexes = [
            models.Index(fields=["article", "checked_at"]),
            models.Index(fields=["outcome", "checked_at"]),
            models.Index(fields=["checked_at"]),  # the newest, for the pages' validators
        ]

    def __str__(self):
        return f"{self.url}: {self.get_outcome_display()} on {self.checked_at:%Y-%m-%d}"

    @property
    def conclusive(self) -> bool:
        """Whether the check found out anything about the original."""
        return self.outcome != self.Outcome.UNCHECKED
