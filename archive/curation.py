"""Editors' curation of tags: an article's mentions grouped by entity, rejected or restored a
whole entity at a time, and an entity tagged by its words as the article writes them.

Every change here is one transaction that ends with `article_changed(...,
text_changed=False)`, so the search index follows the tags (archive.articles);
confirming a possible mention re-tags the article (`article_changed(...)`), so the
entity's other partial spellings and its quotes follow.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from archive.articles import article_changed
from archive.browse import Sentence, sentence_around
from archive.entities.matching import Found
from archive.entities.tagging import mention_at, possible_mentions
from archive.models import Article, Entity, Mention
from archive.paragraphs import numbered, paragraph_text

# Sentences shown for one entity on an article's page of tags; its count is of all of them.
SHOWN_PER_ENTITY = 50
READING_ORDER = (F("paragraph").asc(nulls_last=True), F("start").asc(nulls_last=True), "pk")


class CurationError(ValueError):
    """A change an editor asked for that cannot be made, with a reason they can act on."""


@dataclass
class Occurrence:
    """One mention and the sentence around it (None for a whole-article tag, or when the
    text at its place is no longer its words)."""

    mention: Mention
    sentence: Sentence | None


@dataclass
class EntityTags:
    """An entity's mentions in one article: counts of all of them, the first few shown."""

    entity: Entity
    tagged: int
    rejected: int
    shown: list[Occurrence] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.tagged + self.rejected

    @property
    def not_shown(self) -> int:
        return self.total - len(self.shown)


def occurrence(mention: Mention, paragraphs: list[str]) -> Occurrence:
    """The mention in its sentence, the words it tags marked."""
    text = paragraph_text(paragraphs, mention.paragraph)
    if text is None or mention.start is None or mention.end is None:
        return Occurrence(mention, None)
    if mention.surface and text[mention.start : mention.end] != mention.surface:
        return Occurrence(mention, None)  # the text was edited after the tag was placed
    return Occurrence(mention, sentence_around(text, mention.start, mention.end))


def tags_by_entity(article: Article, shown: int = SHOWN_PER_ENTITY) -> list[EntityTags]:
    """The entities tagged in `article`, most tagged first, each with its counts and the
    sentences of its first `shown` mentions in reading order.

    Two queries whatever the number of mentions: the counts, grouped by the
    database, and at most `shown` mentions of each entity (a window function).
    """
    counts = (
        Mention.objects.filter(article=article)
        .values("entity")
        .annotate(
            tagged=Count("pk", filter=Q(rejected=False)),
            rejected=Count("pk", filter=Q(rejected=True)),
        )
        .order_by()
    )
    first = (
        Mention.objects.filter(article=article)
        .select_related("entity")
        .annotate(row=Window(RowNumber(), partition_by=[F("entity")], order_by=list(READING_ORDER)))
        .filter(row__lte=shown)
        .order_by(*READING_ORDER)
    )
    groups: dict[int, EntityTags] = {}
    tallies = {row["entity"]: row for row in counts}
    paragraphs = article.paragraphs
    for mention in first:
        tally = tallies[mention.entity_id]
        group = groups.get(mention.entity_id)
        if group is None:
            group = groups[mention.entity_id] = EntityTags(
                mention.entity, tally["tagged"], tally["rejected"]
            )
        group.shown.append(occurrence(mention, paragraphs))
    return sorted(groups.values(), key=lambda g: (-g.tagged, -g.rejected, g.entity.name))


def set_rejected(parts: QuerySet, rejected: bool, user=None) -> int:
    """Reject (or restore) these tags or quotes, in their history as this editor's; their
    articles follow. Returns how many changed.

    A tag restored while its entity stays rejected elsewhere in the article
    becomes the editor's: re-tagging rejects every automatic tag of an entity
    rejected in an article (entities/tagging.py), and would reject it again.
    """
    with transaction.atomic():
        changed = list(parts.exclude(rejected=rejected))
        fields = ["rejected"]
        for part in changed:
            part.rejected = rejected
        if parts.model is Mention and not rejected:
            fields.append("origin")
            for mention in _rejected_elsewhere(changed):
                mention.origin = Mention.Origin.EDITOR
        if changed:
            bulk_update_with_history(
                changed,
                parts.model,
                fields,
                default_user=user,
                default_change_reason="Rejected by an editor" if rejected else "Restored",
            )
        article_changed(sorted({part.article_id for part in changed}), text_changed=False)
    return len(changed)


def _rejected_elsewhere(restored: list[Mention]) -> list[Mention]:
    """The restored tags whose entity keeps other rejected tags in the same article."""
    still = set(
        Mention.objects.filter(
            rejected=True,
            article_id__in={m.article_id for m in restored},
            entity_id__in={m.entity_id for m in restored},
        )
        .exclude(pk__in=[m.pk for m in restored])
        .values_list("article_id", "entity_id")
    )
    return [m for m in restored if (m.article_id, m.entity_id) in still]


def set_entity_rejected(article_id: int, entity_id: int, rejected: bool, user=None) -> int:
    """Reject (or restore) every mention of one entity in one article: one editor's action
    clears every wrong "China" of an article."""
    return set_rejected(
        Mention.objects.filter(article_id=article_id, entity_id=entity_id), rejected, user
    )


def reject_entities_in_articles(chosen: QuerySet[Mention], user=None) -> tuple[int, int]:
    """Reject every tag of the chosen tags' entities in the chosen tags' articles, in one
    transaction (from an entity's list: "not this one, anywhere in these articles").

    Returns the number of tags rejected and of articles they were in.
    """
    pairs = chosen.filter(article_id=OuterRef("article_id"), entity_id=OuterRef("entity_id"))
    same = Mention.objects.filter(Exists(pairs.order_by().values("pk")))
    articles = chosen.order_by().values("article_id").distinct().count()
    return set_rejected(same, True, user), articles


@dataclass
class TaggedWords:
    """What tagging an entity by its words did: places found, tags added, tags confirmed."""

    entity: Entity
    words: str
    places: int
    added: int
    confirmed: int


def word_places(paragraphs: Iterable[str], words: str) -> list[tuple[int, int, int]]:
    """Where `words` stand as whole words in the paragraphs: (paragraph number, start, end).

    Capitals count, as they do in a name ("Bank of China", not "bank"); letters
    or digits touching either end ("Chinese" for "China") are another word.
    """
    places = []
    for number, text in numbered(paragraphs):
        start = text.find(words)
        while start != -1:
            end = start + len(words)
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            if not before.isalnum() and not after.isalnum():
                places.append((number, start, end))
            start = text.find(words, start + 1)
    return places


def tag_words(article: Article, entity: Entity, typed: str, user=None) -> TaggedWords:
    """Tag `entity` at every place `article` writes the words typed (or pasted) by an editor.

    The tags are the editor's (origin "editor"): re-tagging never removes
    them. A tag of the entity already at one of those places becomes the
    editor's, restored if it was rejected. Words the text does not hold are
    refused, with the reason.
    """
    words = " ".join(typed.split()).strip("\"'“”‘’")
    if not words:
        raise CurationError("Type or paste the words as the article writes them.")
    places = word_places(article.paragraphs, words)
    if not places:
        raise CurationError(
            f"“{words}” is not in the article's text as a word or words of their own; "
            "copy them from the text exactly, capitals included."
        )
    with transaction.atomic():
        existing = {
            (m.paragraph, m.start, m.end): m
            for m in Mention.objects.filter(
                article=article, entity=entity, paragraph__isnull=False
            ).select_for_update()
        }
        added, confirmed = [], []
        for number, start, end in places:
            mention = existing.get((number, start, end))
            if mention is None:
                added.append(
                    Mention(
                        article=article,
                        entity=entity,
                        paragraph=number,
                        start=start,
                        end=end,
                        surface=words,
                        origin=Mention.Origin.EDITOR,
                    )
                )
            elif mention.origin != Mention.Origin.EDITOR or mention.rejected:
                mention.origin, mention.rejected = Mention.Origin.EDITOR, False
                confirmed.append(mention)
        reason = "Tagged by an editor"
        if added:
            bulk_create_with_history(
                added, Mention, default_user=user, default_change_reason=reason
            )
        if confirmed:
            bulk_update_with_history(
                confirmed,
                Mention,
                ["origin", "rejected"],
                default_user=user,
                default_change_reason=reason,
            )
        article_changed([article.pk], text_changed=False)
    return TaggedWords(entity, words, len(places), len(added), len(confirmed))


@dataclass
class PossibleTag:
    """A place where the article may name an entity by a partial spelling ("Zair") that the
    tagger leaves untagged (docs/entities.md, rule 3), in its sentence, for an editor to
    confirm."""

    entity: Entity
    found: Found
    sentence: Sentence | None

    @property
    def key(self) -> str:
        """What the page's button sends back: entity, paragraph, start, end."""
        f = self.found
        return f"{f.entity_id}:{f.paragraph}:{f.start}:{f.end}"


def possible_tags(article: Article) -> list[PossibleTag]:
    """The article's possible mentions (`entities.tagging.possible_mentions`), each in its
    sentence; two queries beside the vocabulary's."""
    found = possible_mentions(article)
    entities = Entity.objects.in_bulk({f.entity_id for f in found})
    paragraphs = article.paragraphs
    return [
        PossibleTag(
            entities[f.entity_id],
            f,
            sentence_around(paragraph_text(paragraphs, f.paragraph), f.start, f.end),
        )
        for f in found
        if f.entity_id in entities
    ]


def confirm_possible_tag(article: Article, key: str, user=None) -> Mention:
    """Tag the entity where the article names it by a partial spelling, as an editor's tag:
    the key must be one of the article's possible mentions now (never a place the text does
    not hold). The article is then re-tagged and its quotes re-read: the confirmation also
    confirms the entity's other partial spellings in the article, and its quotes' speaker."""
    chosen = next((p for p in possible_tags(article) if p.key == key), None)
    if chosen is None:
        raise CurationError(
            "That possible mention is no longer in the article (its text or tags changed); "
            "the page shows the current ones."
        )
    with transaction.atomic():
        mention = mention_at(article, chosen.found, Mention.Origin.EDITOR)
        mention._history_user = user
        mention._change_reason = "Confirmed by an editor"
        mention.save()
        article_changed([article.pk])
    return mention
