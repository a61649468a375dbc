"""Partial spellings through the save path: offered, confirmed by editors, kept through re-tags."""

import io

import pytest
from django.core.management import call_command

from archive.articles import save_article
from archive.entities.tagging import possible_mentions, retag_article
from archive.models import Alias, Article, Entity, Mention, Quote, Source

pytestmark = pytest.mark.django_db

AUTOMATIC, EDITOR = Mention.Origin.AUTOMATIC, Mention.Origin.EDITOR


@pytest.fixture
def vocabulary(db):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)


@pytest.fixture
def seeds(vocabulary, seed_dir):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    return {article.external_id[:3]: article for article in Article.objects.all()}


def new_article(body: str) -> Article:
    source, _ = Source.objects.get_or_create(name="Test wire", slug="test-wire")
    article = Article(
        title="A new article", slug=f"new-{Article.objects.count()}", source=source, body=body
    )
    return save_article(article)


def tags(article, entity_name):
    return list(
        Mention.objects.filter(article=article, entity__name=entity_name)
        .order_by("paragraph", "start")
        .values_list("surface", "origin", "rejected")
    )


def test_ahmet_zair_the_shopkeeper_is_neither_tagged_nor_offered_as_kerim_zair(vocabulary):
    article = new_article("Ahmet Zair, a shopkeeper in Istanbul, said business was slow.")
    assert tags(article, "Kerim Zair") == []
    assert possible_mentions(article) == []


def test_a_surname_alone_is_offered_and_an_editors_tag_confirms_it_through_re_tags(vocabulary):
    article = new_article(
        "Zair said he received an anonymous call.\n\nThe caller knew Zair's address."
    )
    assert tags(article, "Kerim Zair") == []
    offered = possible_mentions(article)
    assert [(f.paragraph, f.surface) for f in offered] == [(1, "Zair"), (2, "Zair")]
    kerim = Entity.objects.get(name="Kerim Zair")
    assert {f.entity_id for f in offered} == {kerim.pk}

    first = offered[0]
    Mention.objects.create(
        article=article,
        entity=kerim,
        paragraph=first.paragraph,
        start=first.start,
        end=first.end,
        surface=first.surface,
        origin=EDITOR,
    )
    article.body += "\n\nZair has since moved."
    save_article(article)

    expected = [("Zair", EDITOR, False), ("Zair", AUTOMATIC, False), ("Zair", AUTOMATIC, False)]
    assert tags(article, "Kerim Zair") == expected
    assert possible_mentions(article) == []
    retag_article(article)
    assert tags(article, "Kerim Zair") == expected


def test_a_surname_beside_the_full_name_is_tagged_and_a_rejection_holds(vocabulary):
    article = new_article("Kerim Zair moved to London.\n\n“I rejected them,” Zair said.")
    assert [s for s, *_ in tags(article, "Kerim Zair")] == ["Kerim Zair", "Zair"]
    Mention.objects.filter(article=article, entity__name="Kerim Zair").update(rejected=True)

    article.body = "Zair moved to London."  # the full name gone: the surname alone
    save_article(article)

    assert all(rejected for *_, rejected in tags(article, "Kerim Zair"))
    assert possible_mentions(article) == []  # the editors said no to him here


def test_an_editor_can_make_an_alias_partial_or_full(seeds):
    communist_party = Alias.objects.get(name="Communist Party")
    assert [s for s, *_ in tags(seeds["002"], "Chinese Communist Party")] == [
        "Communist Party",
        "Communist Party",
    ]
    communist_party.scope = Alias.Scope.PARTIAL
    communist_party.save()
    retag_article(seeds["002"])
    assert tags(seeds["002"], "Chinese Communist Party") == []
    assert [f.surface for f in possible_mentions(seeds["002"])] == ["Communist Party"] * 2

    zair = Alias.objects.get(name="Zair")
    zair.scope = Alias.Scope.FULL
    zair.save()
    article = new_article("Zair said he received an anonymous call.")
    assert [s for s, *_ in tags(article, "Kerim Zair")] == ["Zair"]


def test_the_seeds_keep_every_surname_they_had_because_they_name_each_person_in_full(seeds):
    assert [s for s, *_ in tags(seeds["000"], "Enver Turdi")] == ["Enver Turdi"] + ["Turdi"] * 3
    assert [s for s, *_ in tags(seeds["001"], "Kerim Zair")] == ["Kerim Zair", "Zair"]
    assert [s for s, *_ in tags(seeds["001"], "Xi Jinping")] == ["Xi Jinping", "Xi"]
    assert all(possible_mentions(article) == [] for article in seeds.values())


def test_a_quote_by_a_surname_alone_is_not_given_to_the_entity(vocabulary):
    article = new_article("“Business has been slow all winter,” Zair said in his shop.")
    (quote,) = Quote.objects.filter(article=article)
    assert quote.speaker_name == "Zair"
    assert quote.speaker is None

    article.body = "Kerim Zair spoke to reporters.\n\n" + article.body
    save_article(article)
    (quote,) = Quote.objects.filter(article=article)
    assert quote.speaker == Entity.objects.get(name="Kerim Zair")
