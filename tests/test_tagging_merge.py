"""Merging two entities that turn out to be one: spellings, mentions, quotes, slug move over."""

import io

import pytest
from django.core.management import call_command

from archive.entities.merge import merge_entities
from archive.entities.tagging import retag_articles, tag_article
from archive.models import Alias, Article, Entity, IndexQueue, Mention, Quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    retag_articles(Article.objects.all())
    return {article.external_id[:3]: article for article in Article.objects.all()}


@pytest.fixture
def congress(seeds):
    return Entity.objects.get(name="World Uyghur Congress")


@pytest.fixture
def duplicate(seeds, congress):
    """The same organisation, entered again by an editor under another spelling."""
    twin = Entity.objects.create(
        name="World Uighur Congress", slug="world-uighur-congress", kind=Entity.Kind.ORGANISATION
    )
    Alias.objects.create(entity=twin, name="Uighur Congress")
    Alias.objects.create(entity=twin, name="WUC", case_sensitive=True)  # the kept one has it
    wuc = Mention.objects.get(article=seeds["001"], entity=congress, surface="WUC")
    Mention.objects.create(  # where the kept one is already tagged
        article=seeds["001"],
        entity=twin,
        paragraph=wuc.paragraph,
        start=wuc.start,
        end=wuc.end,
        surface="WUC",
        origin=Mention.Origin.EDITOR,
    )
    Mention.objects.create(article=seeds["003"], entity=twin, rejected=True)
    Mention.objects.create(article=seeds["004"], entity=twin)  # an editor's whole-article tag
    return twin


def test_merge_moves_spellings_and_keeps_the_removed_name_as_an_alias(congress, duplicate):
    report = merge_entities(congress, duplicate)

    assert not Entity.objects.filter(pk=duplicate.pk).exists()
    aliases = dict(congress.aliases.values_list("name", "case_sensitive"))
    assert aliases == {"WUC": True, "Uighur Congress": False, "World Uighur Congress": False}
    assert (report.aliases_moved, report.name_kept_as_alias) == (1, True)
    assert report.removed_slug == "world-uighur-congress"
    assert tag_article(Article(body="The World Uighur Congress met."))[0].entity == congress


def test_merge_moves_mentions_without_doubling_them(seeds, congress, duplicate):
    before = Mention.objects.filter(entity=congress).count()

    report = merge_entities(congress, duplicate)

    assert (report.mentions_moved, report.mentions_merged) == (2, 1)
    mentions = Mention.objects.filter(entity=congress)
    assert mentions.count() == before + 2
    places = list(mentions.values_list("article", "paragraph", "start", "end"))
    assert len(places) == len(set(places))
    # The kept automatic row took the editor's origin, so re-tagging keeps it.
    assert mentions.get(article=seeds["001"], surface="WUC").origin == Mention.Origin.EDITOR
    assert mentions.get(article=seeds["003"]).rejected
    assert not mentions.get(article=seeds["004"]).rejected
    queued = set(IndexQueue.objects.values_list("article_id", flat=True))
    assert queued >= {seeds[n].pk for n in ("001", "003", "004")}


def test_merging_again_does_nothing(congress, duplicate):
    merge_entities(congress, duplicate)
    aliases = sorted(congress.aliases.values_list("name", flat=True))
    mentions = sorted(Mention.objects.filter(entity=congress).values_list("pk", flat=True))

    report = merge_entities(congress, duplicate)

    assert report.removed_slug == ""
    assert sorted(congress.aliases.values_list("name", flat=True)) == aliases
    assert sorted(Mention.objects.filter(entity=congress).values_list("pk", flat=True)) == mentions


def test_the_removed_entitys_quotes_are_spoken_by_the_one_kept(seeds, congress, duplicate):
    quote = Quote.objects.create(
        article=seeds["001"], paragraph=1, start=0, end=5, text="Words", speaker=duplicate
    )

    merge_entities(congress, duplicate)

    quote.refresh_from_db()
    assert quote.speaker == congress
    assert quote.history.first().history_change_reason == (
        "Merged World Uighur Congress into World Uyghur Congress"
    )


def test_an_entity_cannot_be_merged_into_itself(congress):
    with pytest.raises(ValueError, match="itself"):
        merge_entities(congress, congress)


def test_the_address_of_a_merged_entity_redirects_to_the_one_kept(client):
    keep = Entity.objects.create(name="Uyghurs", slug="uyghurs", kind=Entity.Kind.GROUP)
    removed = Entity.objects.create(name="Uighurs", slug="uighurs", kind=Entity.Kind.GROUP)
    merge_entities(keep, removed)
    response = client.get("/entities/uighurs/")
    assert response.status_code == 301
    assert response["Location"] == "/entities/uyghurs/"
    assert client.get("/entities/nobody/").status_code == 404
