"""The page of one entity: who or what it is, when the archive names it, and what alongside."""

import datetime
import itertools
import re
from collections import Counter

import pytest
from django.core.management import call_command

from archive.browse import sentence_around
from archive.entities.merge import merge_entities
from archive.models import Alias, Article, Entity, Mention, Quote
from archive.paragraphs import paragraph_text
from tests.entity_counts import entities_with_counts

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
_slugs = itertools.count(1)


def publish(body="Nothing here.", **fields):
    n = next(_slugs)
    defaults = dict(title=f"Report {n}", slug=f"report-{n}", status=Article.Status.PUBLISHED)
    article = Article.objects.create(body=body, **{**defaults, **fields})
    article.mentions.all().delete()  # only the mentions each test places
    return article


def mention(article, entity, words, paragraph=1, **fields):
    """A mention of `entity` at the first place `words` appear in paragraph number `paragraph`."""
    start = paragraph_text(article.paragraphs, paragraph).index(words)
    return Mention.objects.create(
        article=article,
        entity=entity,
        paragraph=paragraph,
        start=start,
        end=start + len(words),
        surface=words,
        **fields,
    )


def in_order(page, *fragments):
    position = 0
    for fragment in fragments:
        position = page.find(fragment, position)
        if position < 0:
            return False
    return True


@pytest.fixture
def zair():
    return Entity.objects.create(
        name="Kerim Zair",
        slug="kerim-zair",
        kind=Entity.Kind.PERSON,
        public_description="A Uighur who moved from Norway to London.",
        notes="From seed 001; the date of his move is not known (seed 001).",
        reference_url="https://example.org/zair",
    )


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet")


def text_of(response):
    return response.content.decode()


# Who or what it is


def test_the_page_says_who_the_entity_is_and_how_to_search_for_it(client, zair):
    Alias.objects.create(entity=zair, name="Kerim Zaïr")
    page = text_of(client.get("/entities/kerim-zair/"))
    assert "<h1>Kerim Zair</h1>" in page
    assert "Person" in page and "Kerim Zaïr" in page
    assert "A Uighur who moved from Norway to London." in page
    assert '<a href="https://example.org/zair" rel="noopener noreferrer nofollow">' in page
    assert 'href="/search/?entity=kerim-zair"' in page
    assert 'href="/search/?q=%22Kerim+Zair%22"' in page
    assert "finds every spelling" in page


def test_a_reference_that_is_not_a_web_address_is_not_a_link(client, zair):
    Entity.objects.filter(pk=zair.pk).update(reference_url="javascript:alert(1)")
    page = text_of(client.get("/entities/kerim-zair/"))
    assert "javascript:" not in page


# When the archive names it


def test_the_timeline_groups_by_year_and_month_newest_first_undated_last(client, zair):
    dates = {
        "Undated report": None,
        "March 2020 report": datetime.date(2020, 3, 9),
        "February 2021 report": datetime.date(2021, 2, 10),
        "Early March 2020 report": datetime.date(2020, 3, 1),
        "June 2020 report": datetime.date(2020, 6, 17),
    }
    for title, published_on in dates.items():
        mention(
            publish(f"Kerim Zair in {title}.", title=title, published_on=published_on),
            zair,
            "Kerim Zair",
        )
    page = text_of(client.get("/entities/kerim-zair/"))
    assert in_order(
        page,
        "<h3", "2021", "February 2021", "February 2021 report",
        "<h3", "2020", "June 2020", "June 2020 report",
        "March 2020", "March 2020 report", "Early March 2020 report",
        "<h3", "Date unknown", "Undated report",
    )  # fmt: skip
    assert page.count("March 2020</h4>") == 1


def test_each_article_is_quoted_at_the_sentence_of_its_first_mention(client, zair):
    article = publish(
        "The calls began in 2019.\n\n"
        "Nobody answered. Later Kerim Zair said he was asked to spy. He refused. "
        "Zair moved to London."
    )
    mention(article, zair, "Nobody", paragraph=2, rejected=True)  # an editor said no
    mention(article, zair, "Zair moved", paragraph=2)  # stored first, but later in the text
    mention(article, zair, "Kerim Zair", paragraph=2)
    page = text_of(client.get("/entities/kerim-zair/"))
    assert "Later <mark>Kerim Zair</mark> said he was asked to spy." in page
    assert "He refused" not in page and "Nobody answered" not in page
    assert f'href="{article.get_absolute_url()}#p-2"' in page


def test_the_quoted_sentence_is_escaped(client, zair):
    article = publish(f"Before. {SCRIPT} Kerim Zair {SCRIPT}. After.")
    mention(article, zair, "Kerim Zair")
    page = text_of(client.get("/entities/kerim-zair/"))
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Kerim Zair</mark> &lt;script&gt;" in page


def test_a_tag_without_a_place_in_the_text_lists_the_article_without_a_quote(client, zair):
    article = publish("Kerim Zair spoke.", title="Tagged as a whole")
    Mention.objects.create(article=article, entity=zair)
    page = text_of(client.get("/entities/kerim-zair/"))
    assert "Tagged as a whole" in page
    assert '<p class="snippet">' not in page


@pytest.mark.parametrize(
    ("text", "words", "sentence"),
    [
        ("Kerim Zair spoke. Then left.", "Kerim Zair", "<Kerim Zair> spoke."),
        ("He met Zair", "Zair", "He met <Zair>"),
        ('One. "They asked," Zair said. Two.', "Zair", '"They asked," <Zair> said.'),
        ("One! Zair? Two.", "Zair", "<Zair>?"),
        ("One.\u00a0Zair then.", "Zair", "<Zair> then."),
    ],
)
def test_the_sentence_around_a_mention(text, words, sentence):
    start = text.index(words)
    found = sentence_around(text, start, start + len(words))
    (mark_start, mark_end) = found.marks[0]
    shown = found.text[:mark_start] + f"<{found.text[mark_start:mark_end]}>" + found.text[mark_end:]
    assert shown == sentence


def test_a_long_sentence_is_cut_around_the_mention():
    text = "word " * 200 + "Kerim Zair " + "word " * 200 + "end."
    start = text.index("Kerim")
    found = sentence_around(text, start, start + 10)
    assert len(found.text) <= 302
    assert found.text.startswith("…word") and found.text.endswith("word…")
    assert found.text[slice(*found.marks[0])] == "Kerim Zair"


@pytest.mark.parametrize(("start", "end"), [(5, 99), (-1, 3), (4, 4), (50, 60)])
def test_offsets_outside_the_paragraph_give_no_sentence(start, end):
    assert sentence_around("A short text.", start, end) is None


def test_drafts_and_rejected_mentions_are_left_out(client, zair):
    mention(publish("Kerim Zair here.", title="Published report"), zair, "Kerim Zair")
    mention(publish("Kerim Zair here.", title="Wrongly tagged"), zair, "Kerim", rejected=True)
    mention(
        publish("Kerim Zair here.", title="Unchecked draft", status=Article.Status.DRAFT),
        zair,
        "Kerim Zair",
    )
    page = text_of(client.get("/entities/kerim-zair/"))
    assert "Published report" in page
    assert "1 published article," in page
    assert "Wrongly tagged" not in page and "Unchecked draft" not in page
    listing = text_of(client.get("/entities/"))
    assert re.search(r"Kerim Zair</a> <span class=\"count\">1 article<", listing)


@pytest.mark.parametrize(
    ("page_number", "shown"),
    [
        ("", "Page 1 of 2"),
        ("abc", "Page 1 of 2"),
        ("1.5", "Page 1 of 2"),
        ("2", "Page 2 of 2"),
        ("0", "Page 2 of 2"),
        ("-1", "Page 2 of 2"),
        ("99", "Page 2 of 2"),
        ("9" * 40, "Page 2 of 2"),
        ("%00", "Page 1 of 2"),
    ],
)
def test_the_timeline_is_paginated_and_bad_page_numbers_never_fail(
    client, zair, page_number, shown
):
    for n in range(25):
        article = publish("Kerim Zair spoke.", published_on=datetime.date(2020, 1, 1 + n))
        mention(article, zair, "Kerim Zair")
    response = client.get(f"/entities/kerim-zair/?page={page_number}")
    assert response.status_code == 200
    assert shown in text_of(response)


# What else is named alongside it


def test_co_mentioned_entities_and_their_counts_match_the_database(client, seeds):
    # A draft and a rejection, so both must be left out of the counts.
    drafted = Article.objects.filter(slug__startswith="china-spying")
    assert drafted.update(status=Article.Status.DRAFT) == 1
    rejected = Mention.objects.filter(entity__slug="beijing", article__slug__startswith="not-only")
    assert rejected.update(rejected=True) == 3
    uyghurs = Entity.objects.get(slug="uyghurs")
    articles = {
        m.article_id
        for m in Mention.objects.filter(
            entity=uyghurs, rejected=False, article__status=Article.Status.PUBLISHED
        )
    }
    truth = Counter()
    for article_id in articles:
        named = set(
            Mention.objects.filter(article_id=article_id, rejected=False)
            .exclude(entity=uyghurs)
            .values_list("entity__slug", flat=True)
        )
        truth.update(named)
    response = client.get("/entities/uyghurs/")
    shown = {e.slug: e.article_count for e in response.context["co_mentioned"]}
    expected = sorted(truth.items(), key=lambda item: (-item[1], item[0]))[:20]
    assert len(shown) == min(20, len(truth))
    assert all(shown[slug] == truth[slug] for slug in shown)
    assert min(shown.values()) >= expected[-1][1]
    assert "uyghurs" not in shown
    page = text_of(response)
    assert re.search(
        rf'href="/entities/xinjiang/">Xinjiang</a> <span [^>]*>place</span> '
        rf'<span class="count">{truth["xinjiang"]} articles<',
        page,
    )


# A merged entity keeps its address


def test_the_address_of_a_merged_entity_leads_to_the_one_kept(client, zair):
    duplicate = Entity.objects.create(name="Kerim Zaïr", slug="kerim-zair-2", kind="person")
    mention(publish("Kerim Zaïr spoke.", title="Spelled with a diaeresis"), duplicate, "Kerim Zaïr")
    merge_entities(zair, duplicate)
    response = client.get("/entities/kerim-zair-2/")
    assert response.status_code == 301
    assert response["Location"] == "/entities/kerim-zair/"
    assert "Spelled with a diaeresis" in text_of(client.get(response["Location"]))


# A bounded number of queries


def test_the_entity_page_uses_a_fixed_number_of_queries_however_many_articles(
    client, seeds, django_assert_max_num_queries
):
    # The page of articles is read in two queries: their ids, then the articles.
    with django_assert_max_num_queries(9):
        page = text_of(client.get("/entities/uyghurs/"))
    assert page.count('<li class="summary">') == 5
    assert page.count("<mark>") == 5


def test_a_person_never_quoted_is_said_to_have_no_quotation_and_why(client, seeds):
    """Serikzhan Bilash is mentioned in the seeds but never quoted (his words are reported,
    not put between quotation marks): the page says so instead of staying silent."""
    bilash = Entity.objects.get(slug="serikzhan-bilash")
    assert not Quote.objects.filter(speaker=bilash).exists()
    page = text_of(client.get(bilash.get_absolute_url()))
    assert "No quotation in the archive is attributed to Serikzhan Bilash" in page
    assert 'href="/search/?entity=serikzhan-bilash"' in page
    # A place speaks no words: nothing to say.
    kazakhstan = Entity.objects.get(slug="kazakhstan")
    assert "No quotation in the archive" not in text_of(client.get(kazakhstan.get_absolute_url()))
    # Someone quoted gets the quotations instead.
    zair = Entity.objects.get(slug="kerim-zair")
    page = text_of(client.get(zair.get_absolute_url()))
    assert "No quotation in the archive" not in page and "Quoted: Kerim Zair" in page


# What readers see of the editors' work


def test_editors_notes_never_reach_a_public_page(client, seeds):
    """The starter vocabulary's notes cite their seeds ("(seed 002)"): for editors only."""
    noted = Entity.objects.exclude(notes="")
    assert noted.count() > 20
    pages = [entity.get_absolute_url() for entity in Entity.objects.all()]
    pages += [article.get_absolute_url() for article in Article.objects.published()]
    pages += ["/", "/entities/", "/search/?q=Uighur", "/api/search?q=Uighur"]
    pages += [f"/feeds/entities/{entity.slug}/" for entity in noted[:3]]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "(seed" not in response.content.decode(), url


def test_the_public_description_is_shown_and_the_notes_are_not(client, zair):
    page = text_of(client.get("/entities/kerim-zair/"))
    assert '<p class="entity-description">A Uighur who moved from Norway to London.</p>' in page
    assert "date of his move" not in page


def test_the_entity_list_leaves_out_entities_no_published_article_names(client, seeds):
    page = text_of(client.get("/entities/"))
    for entity in entities_with_counts():
        listed = f'href="{entity.get_absolute_url()}"' in page
        assert listed == (entity.article_count > 0), entity


def test_the_entity_list_follows_a_rejected_tag_at_once(client, seeds):
    """The counts of the entity list are kept per state of the archive: an editor's
    rejection changes that state, so the next reader sees the new count."""
    from archive.curation import set_entity_rejected

    entity = Entity.objects.get(slug="serikzhan-bilash")
    counted = re.compile(rf'href="{entity.get_absolute_url()}">[^<]*</a> <span class="count">(\d+)')
    before = text_of(client.get("/entities/"))
    naming = list(Mention.objects.filter(entity=entity).values_list("article_id", flat=True))
    assert int(counted.search(before).group(1)) == len(set(naming)) >= 1
    set_entity_rejected(naming[0], entity.pk, True)
    after = text_of(client.get("/entities/"))
    if len(set(naming)) == 1:
        assert entity.get_absolute_url() not in after
    else:
        assert int(counted.search(after).group(1)) == len(set(naming)) - 1
