"""Automatic tagging of the seed articles against the fixture vocabulary, and re-tagging them."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from haystack.query import SearchQuerySet

from archive.articles import article_changed, save_article
from archive.entities.tagging import retag_article, retag_articles, tag_article
from archive.entities.vocabulary import current_vocabulary
from archive.models import Alias, Article, Entity, IndexQueue, Mention, Quote
from archive.paragraphs import paragraph_text

pytestmark = pytest.mark.django_db

AUTOMATIC, EDITOR = Mention.Origin.AUTOMATIC, Mention.Origin.EDITOR

# Every entity each seed names, as a reader would list them.
EXPECTED = {
    "000": {
        "Enver Turdi",
        "Turkey's Ministry of Justice",
        "Chinese Embassy in Ankara",
        "Axios",
        "BBC",
        "ISIS",
        "Xinjiang",
        "China",
        "Turkey",
        "Uyghurs",
        "Kazakhs",
        "Muslims",
    },
    "001": {
        "World Uyghur Congress",
        "Kerim Zair",
        "Xi Jinping",
        "Austin Ramzy",
        "China Cables",
        "Karakax list",
        "International Consortium of Investigative Journalists",
        "The New York Times",
        "The Hill",
        "Xinjiang",
        "Beijing",
        "China",
        "Europe",
        "Norway",
        "London",
        "Washington DC",
        "USA",
        "Uyghurs",
        "Muslims",
    },
    "002": {
        "Serikzhan Bilash",
        "Baibolat Kunbolat",
        "Ata-Jurt Eriktileri",
        "Apple Daily",
        "Chinese Communist Party",
        "Turkish parliament",
        "Sino-Turkish extradition pact",
        "Almaty",
        "Ankara",
        "Kazakhstan",
        "Central Asia",
        "Xinjiang",
        "Beijing",
        "China",
        "Turkey",
        "Uyghurs",
        "Kazakhs",
    },
    "003": {
        "Safeguard Defenders",
        "Chinese Communist Party",
        "Chinese Embassy in Ankara",
        "Chinese Consulate in Istanbul",
        "China",
        "Turkey",
        "Uyghurs",
        "Muslims",
    },
    "004": {
        "Abduweli Ayup",
        "Asiye Abdulaheb",
        "Xi Jinping",
        "Chinese Communist Party",
        "Chinese Foreign Ministry",
        "US House of Representatives",
        "International Consortium of Investigative Journalists",
        "The New York Times",
        "de Volkskrant",
        "Uighur Human Rights Policy Act",
        "Urumqi",
        "Xinjiang",
        "Beijing",
        "China",
        "Netherlands",
        "Uyghurs",
        "Muslims",
    },
}


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    return {article.external_id[:3]: article for article in Article.objects.all()}


def entity(name):
    return Entity.objects.get(name=name)


def named(mentions):
    return {m.entity.name for m in mentions}


def at(mentions, surface):
    return [m for m in mentions if m.surface == surface]


def stored(article):
    return sorted(
        Mention.objects.filter(article=article).values_list(
            "pk", "entity__name", "paragraph", "start", "end", "surface", "origin", "rejected"
        )
    )


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_each_seed_is_tagged_with_exactly_the_entities_it_names(seeds, seed):
    assert named(tag_article(seeds[seed])) == EXPECTED[seed]


def test_every_entity_of_the_vocabulary_is_found_in_some_seed(seeds):
    # Istanbul is only ever part of a longer name: "the Chinese consulate in Istanbul".
    everything = set(Entity.objects.values_list("name", flat=True))
    assert set().union(*EXPECTED.values()) == everything - {"Istanbul"}


def test_every_mention_points_at_its_words_in_the_paragraph(seeds):
    for article in seeds.values():
        mentions = tag_article(article)
        assert mentions
        for mention in mentions:
            paragraph = paragraph_text(article.paragraphs, mention.paragraph)
            assert paragraph[mention.start : mention.end] == mention.surface
            assert mention.origin == AUTOMATIC and not mention.rejected


def test_the_junk_after_seed_003_is_not_tagged(seeds):
    assert "Xi Jinping" not in named(tag_article(seeds["003"]))


def test_spellings_of_one_entity_all_lead_to_it(seeds):
    mentions = tag_article(seeds["001"])
    wuc = entity("World Uyghur Congress")
    assert {m.surface for m in mentions if m.entity == wuc} == {"World Uyghur Congress", "WUC"}
    assert {m.surface for m in mentions if m.entity == entity("Uyghurs")} == {"Uighurs", "Uighur"}
    assert {m.surface for m in mentions if m.entity == entity("The Hill")} == {"the Hill"}
    turdi = {m.surface for m in tag_article(seeds["000"]) if m.entity == entity("Enver Turdi")}
    assert turdi == {"Enver Turdi", "Turdi"}


def overlapping(mentions, mention):
    return [
        m
        for m in mentions
        if m is not mention
        and m.paragraph == mention.paragraph
        and m.start < mention.end
        and mention.start < m.end
    ]


def test_the_longest_name_wins(seeds):
    mentions = tag_article(seeds["001"])
    (congress,) = at(mentions, "World Uyghur Congress")
    (cables,) = at(mentions, "China Cables")
    assert overlapping(mentions, congress) == overlapping(mentions, cables) == []
    ministry = tag_article(seeds["000"])
    (justice,) = at(ministry, "Turkey\u2019s Ministry of Justice")  # curly, as in the text
    assert justice.entity == entity("Turkey's Ministry of Justice")
    assert overlapping(ministry, justice) == []


def test_turkey_the_country_is_tagged_once_and_the_bird_not_at_all(seeds):
    article = Article(body="We ate turkey in Turkey.")
    (mention,) = tag_article(article)
    assert (mention.entity, mention.paragraph, mention.start, mention.end) == (
        entity("Turkey"),
        1,
        17,
        23,
    )


def test_plurals_and_possessives(seeds):
    body = "Enver Turdi fled. Turdi's lawyer said.\n\nUigurs and a Kazakh's family, not Kazakhstan."
    article = Article(body=body)
    mentions = tag_article(article)
    assert [(m.paragraph, m.surface, m.entity.name) for m in mentions] == [
        (1, "Enver Turdi", "Enver Turdi"),
        (1, "Turdi", "Enver Turdi"),
        (2, "Uigurs", "Uyghurs"),  # only "Uigur" is an alias
        (2, "Kazakh", "Kazakhs"),
        (2, "Kazakhstan", "Kazakhstan"),
    ]


def test_an_article_saying_urumqi_with_diacritics_is_tagged_urumqi(seeds):
    article = Article(body="Protests in Ürümqi, in Ürümchi and in URUMQI.")
    mentions = tag_article(article)
    assert [(m.surface, m.entity.name) for m in mentions] == [
        ("Ürümqi", "Urumqi"),
        ("Ürümchi", "Urumqi"),
        ("URUMQI", "Urumqi"),
    ]


def test_retagging_stores_the_mentions_and_twice_changes_nothing(seeds):
    article = seeds["001"]
    retag_article(article)
    first = stored(article)
    assert len(first) == len(tag_article(article))
    assert {name for _, name, *_ in first} == EXPECTED["001"]
    again = retag_article(article)
    assert (again.added, again.removed, again.changed_article_ids) == (0, 0, [])
    assert stored(article) == first


def test_one_rejected_place_stays_rejected_and_the_entitys_other_tags_stay(seeds):
    """An editor who rejects one wrong tag among right ones of the same entity keeps the
    right ones through every re-tag (the per-entity curation page rejects single tags)."""
    article = seeds["002"]
    retag_article(article)
    kazakhs = Mention.objects.filter(article=article, entity__name="Kazakhs")
    assert kazakhs.count() > 2
    wrong = kazakhs.first()
    wrong.rejected = True
    wrong.save()

    report = retag_article(article)

    assert Mention.objects.get(pk=wrong.pk).rejected  # the editor's own row is kept
    assert list(kazakhs.filter(rejected=True)) == [wrong]
    assert kazakhs.count() == len([m for m in tag_article(article) if m.entity.name == "Kazakhs"])
    assert report.rejected == 1
    rows = stored(article)
    retag_article(article)
    assert stored(article) == rows


def test_an_entity_rejected_everywhere_in_an_article_stays_rejected_there(seeds):
    article = seeds["002"]
    retag_article(article)
    kazakhs = Mention.objects.filter(article=article, entity__name="Kazakhs")
    kazakhs.update(rejected=True)

    report = retag_article(article)

    assert not kazakhs.filter(rejected=False).exists()
    assert report.rejected == kazakhs.count()
    # A new occurrence written later comes in rejected too: the entity is not in the article.
    article.body += "\n\nMore Kazakhs were detained, a relative said."
    save_article(article)
    assert kazakhs.count() > report.rejected
    assert not kazakhs.filter(rejected=False).exists()


def test_a_rejection_outlives_an_edit_that_drops_the_word(seeds):
    article = seeds["000"]
    retag_article(article)
    axios = Mention.objects.get(article=article, entity__name="Axios")
    axios.rejected = True
    axios.save()
    article.body = article.body.replace("news website Axios", "a news website")
    article.save()

    retag_article(article)

    assert Mention.objects.filter(pk=axios.pk, rejected=True).exists()
    article.body += "\n\nAxios reported it first."
    article.save()
    retag_article(article)
    assert not Mention.objects.filter(article=article, entity__name="Axios", rejected=False)


def test_editors_mentions_survive_retagging_and_are_not_doubled(seeds):
    article = seeds["000"]
    whole_article = Mention.objects.create(article=article, entity=entity("Safeguard Defenders"))
    same_place = Mention.objects.create(
        article=article,
        entity=entity("Enver Turdi"),
        paragraph=2,
        start=0,
        end=11,
        surface="Enver Turdi",
    )

    retag_article(article)
    article.body = article.body.replace("Enver Turdi fled", "Enver Turdi, who fled")
    article.save()
    retag_article(article)

    editors = Mention.objects.filter(pk__in=[whole_article.pk, same_place.pk], origin=EDITOR)
    assert editors.count() == 2
    assert not Mention.objects.filter(
        article=article, paragraph=2, start=0, end=11, origin=AUTOMATIC
    ).exists()


def test_stale_automatic_mentions_go_when_the_text_changes(seeds):
    article = seeds["001"]
    retag_article(article)
    article.body = article.body.replace("Austin Ramzy", "the reporter")  # same length
    article.save()
    report = retag_article(article)
    assert (report.added, report.removed) == (0, 1)
    assert not Mention.objects.filter(article=article, entity__name="Austin Ramzy").exists()


def test_retagging_queues_the_article_and_the_index_gets_its_entities(
    seeds, django_capture_on_commit_callbacks
):
    article = seeds["004"]
    Mention.objects.filter(article=article).delete()
    IndexQueue.objects.all().delete()
    ayup = entity("Abduweli Ayup")
    with django_capture_on_commit_callbacks(execute=True):
        retag_article(article)
    assert not IndexQueue.objects.exists()  # flushed
    found = SearchQuerySet().filter(entities=str(ayup.pk))
    assert [int(result.pk) for result in found] == [article.pk]


def test_an_alias_added_by_an_editor_counts_without_a_restart(seeds):
    article = Article(body="Police in Kashgar and Qaraqash.")
    before = current_vocabulary()
    assert current_vocabulary() is before
    assert tag_article(article) == []
    Alias.objects.create(entity=entity("Karakax list"), name="Qaraqash")
    Entity.objects.create(name="Kashgar", slug="kashgar", kind=Entity.Kind.PLACE)
    assert current_vocabulary() is not before
    assert [m.entity.name for m in tag_article(article)] == ["Kashgar", "Karakax list"]


def test_retag_articles_does_all_in_batches_and_reports(seeds):
    lines = []
    report = retag_articles(Article.objects.all(), progress=lines.append, batch_size=2)
    assert lines == [
        "2 of 5 articles tagged…",
        "4 of 5 articles tagged…",
        "5 of 5 articles tagged…",
    ]
    assert report.articles == 5
    assert report.found == Mention.objects.filter(origin=AUTOMATIC).count()
    assert set(IndexQueue.objects.values_list("article_id", flat=True)) >= set(
        report.changed_article_ids
    )
    again = retag_articles(Article.objects.all())
    assert (again.found, again.added, again.removed) == (report.found, 0, 0)


def test_saving_an_article_tags_it_in_the_same_transaction(seeds):
    article = seeds["003"]
    with transaction.atomic():
        article.body += "\n\nXi Jinping said nothing."
        save_article(article)
        assert "Xi Jinping" in named(Mention.objects.filter(article=article))  # before the commit

    Article.objects.filter(pk=article.pk).update(body="Kerim Zair said nothing.")
    article.refresh_from_db()
    save_article(article, update_fields=["status"])  # the text is not what changed
    article.save()  # the row alone, as loaddata and a restore write it
    assert "Kerim Zair" not in named(Mention.objects.filter(article=article))


def test_a_save_rolled_back_leaves_neither_the_text_nor_its_tags(seeds):
    article = seeds["003"]
    before = stored(article)
    with pytest.raises(RuntimeError), transaction.atomic():
        article.body += "\n\nXi Jinping said nothing."
        save_article(article)
        raise RuntimeError("the editor's request failed later")
    assert stored(article) == before
    assert "Xi Jinping" not in Article.objects.get(pk=article.pk).body


def test_fixtures_load_as_they_are_with_nothing_following(db):
    call_command("loaddata", "fixtures/entities.json", "fixtures/seed_articles.json", verbosity=0)
    assert Article.objects.count() == 5
    assert not Mention.objects.exists()  # `setup_demo` tags them afterwards
    assert not Quote.objects.exists()
    assert not IndexQueue.objects.exists()


def test_changed_articles_are_tagged_in_bulk_and_left_queued_for_the_importer(seeds):
    Mention.objects.all().delete()
    IndexQueue.objects.all().delete()
    ids = {article.pk for article in seeds.values()}
    report = article_changed(ids, flush=False)
    assert report.tags.articles == 5
    assert set(Mention.objects.values_list("article_id", flat=True)) == ids
    assert set(IndexQueue.objects.values_list("article_id", flat=True)) == ids  # not flushed


def test_retag_articles_command_shows_progress_and_a_summary(seeds):
    out, err = io.StringIO(), io.StringIO()
    call_command("retag_articles", "--batch-size", "3", stdout=out, stderr=err)
    found = Mention.objects.filter(origin=AUTOMATIC).count()
    assert err.getvalue().splitlines() == ["3 of 5 articles tagged…", "5 of 5 articles tagged…"]
    assert out.getvalue().startswith(
        f"5 articles tagged: {found:,} mentions found, 0 kept rejected by editors;"
    )

    Mention.objects.filter(entity__name="Turkey").update(rejected=True)
    turkey = Mention.objects.filter(entity__name="Turkey").count()
    out = io.StringIO()
    call_command("retag_articles", stdout=out, stderr=io.StringIO())
    assert f"{turkey:,} kept rejected by editors; 0 added, 0 removed" in out.getvalue()

    with pytest.raises(CommandError, match="at least 1"):
        call_command("retag_articles", "--batch-size", "0")
