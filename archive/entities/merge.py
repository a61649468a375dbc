"""Merge two entities that turn out to be one: spellings, mentions and quotes move to the one kept.

The removed entity's page keeps working: its slug is recorded as a redirect
to the entity kept.
"""

from dataclasses import dataclass

from django.db import transaction
from simple_history.utils import bulk_update_with_history

from archive.articles import article_changed
from archive.models import Alias, Entity, EntityRedirect, Mention, Quote


@dataclass
class MergeReport:
    aliases_moved: int = 0
    name_kept_as_alias: bool = False
    mentions_moved: int = 0
    mentions_merged: int = 0  # already there for `keep` at the same place
    removed_slug: str = ""


def merge_entities(keep: Entity, remove: Entity) -> MergeReport:
    """Fold `remove` into `keep` and delete it; merging it again does nothing.

    `remove`'s name becomes an alias of `keep` (unless `keep` already spells
    it) and its aliases move over, except spellings `keep` already has. Its
    mentions move over; where `keep` is already mentioned at the same place,
    the two become one row, rejected if either was, an editor's if either was.
    A rejection of `remove` in an article thus becomes one of `keep` there.
    """
    if keep.pk == remove.pk:
        raise ValueError("An entity cannot be merged into itself.")
    reason = f"Merged {remove.name} into {keep.name}"[:100]
    with transaction.atomic():
        removed = Entity.objects.select_for_update().filter(pk=remove.pk).first()
        if removed is None:  # merged already
            return MergeReport()
        keep = Entity.objects.select_for_update().get(pk=keep.pk)
        report = MergeReport(removed_slug=removed.slug)
        _move_spellings(keep, removed, reason, report)
        article_ids = _move_mentions(keep, removed, reason, report)
        article_ids = {*article_ids, *_move_quotes(keep, removed, reason)}
        _remember_old_slug(keep, removed)
        removed._change_reason = reason
        removed.delete()  # and with it the duplicate aliases and mentions left behind
        # The texts are as they were: only the articles' entities and speakers in the index change.
        article_changed(article_ids, text_changed=False)
    return report


def _move_spellings(keep: Entity, removed: Entity, reason: str, report: MergeReport) -> None:
    spelled = {keep.name.casefold()} | {a.name.casefold() for a in keep.aliases.all()}
    for alias in removed.aliases.order_by("pk"):
        if alias.name.casefold() in spelled:
            continue
        alias.entity = keep
        alias._change_reason = reason
        alias.save()
        spelled.add(alias.name.casefold())
        report.aliases_moved += 1
    if removed.name.casefold() not in spelled:
        alias = Alias(entity=keep, name=removed.name)
        alias._change_reason = reason
        alias.save()
        report.name_kept_as_alias = True


def _move_mentions(keep: Entity, removed: Entity, reason: str, report: MergeReport) -> set[int]:
    """Re-point `removed`'s mentions at `keep`; return the articles they are in."""
    theirs = list(removed.mentions.order_by("pk"))
    article_ids = {m.article_id for m in theirs}
    ours = {_place(m): m for m in keep.mentions.filter(article_id__in=article_ids)}
    changed = {}
    for mention in theirs:
        same = ours.get(_place(mention))
        if same is None:
            mention.entity = keep
            ours[_place(mention)] = changed[mention.pk] = mention
            report.mentions_moved += 1
            continue
        report.mentions_merged += 1
        if mention.rejected and not same.rejected:
            same.rejected = True
            changed[same.pk] = same
        if mention.origin == Mention.Origin.EDITOR and same.origin != Mention.Origin.EDITOR:
            same.origin = Mention.Origin.EDITOR
            changed[same.pk] = same
    if changed:
        bulk_update_with_history(
            list(changed.values()),
            Mention,
            ["entity", "rejected", "origin"],
            default_change_reason=reason,
        )
    return article_ids


def _place(mention: Mention) -> tuple:
    return (mention.article_id, mention.paragraph, mention.start, mention.end)


def _move_quotes(keep: Entity, removed: Entity, reason: str) -> set[int]:
    """Quotes spoken by the removed entity are now spoken by the one kept; return their
    articles."""
    quotes = list(Quote.objects.filter(speaker=removed))
    for quote in quotes:
        quote.speaker = keep
    if quotes:
        bulk_update_with_history(quotes, Quote, ["speaker"], default_change_reason=reason)
    return {quote.article_id for quote in quotes}


def _remember_old_slug(keep: Entity, removed: Entity) -> None:
    """The removed entity's address, and any it had inherited, now lead to `keep`."""
    EntityRedirect.objects.filter(entity=removed).update(entity=keep)
    EntityRedirect.objects.update_or_create(old_slug=removed.slug, defaults={"entity": keep})
