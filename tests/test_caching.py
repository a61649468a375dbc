"""A reader's browser revalidates a page and gets a 304 while nothing on it has changed."""

import datetime

import pytest
from django.utils.http import http_date

from archive.models import Alias, Article, Entity, Mention, Quote, Source
from archive.views.caching import page_validators

pytestmark = pytest.mark.django_db

REVALIDATED = [
    "/",
    "/articles/",
    "/articles/camps-report/",
    "/sources/",
    "/sources/rfa/",
    "/sources/unknown/",
    "/entities/",
    "/entities/xinjiang/",
    "/dates/",
    "/dates/2020/",
    "/dates/2020/06/",
    "/dates/unknown/",
]


@pytest.fixture
def archive():
    rfa = Source.objects.create(name="Radio Free Asia", slug="rfa")
    xinjiang = Entity.objects.create(name="Xinjiang", slug="xinjiang", kind=Entity.Kind.PLACE)
    article = Article.objects.create(
        title="Report on the camps",
        slug="camps-report",
        body="The camps in Xinjiang grew.\n\nFamilies asked for news.",
        source=rfa,
        published_on=datetime.date(2020, 6, 17),
        status=Article.Status.PUBLISHED,
    )
    Article.objects.create(
        title="Undated report",
        slug="undated-report",
        body="No date was given.",
        status=Article.Status.PUBLISHED,
    )
    return article, xinjiang, rfa


def conditional_get(client, url, response):
    return client.get(
        url,
        headers={
            "If-None-Match": response["ETag"],
            "If-Modified-Since": response["Last-Modified"],
        },
    )


@pytest.mark.parametrize("url", REVALIDATED)
def test_a_repeated_conditional_get_is_answered_304_with_a_query_or_two(
    client, archive, url, django_assert_max_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"].startswith('"') and first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"]
    # An article page also asks when its stored related documents were worked out.
    queries = 2 if url.startswith("/articles/") and url != "/articles/" else 1
    with django_assert_max_num_queries(queries):
        again = conditional_get(client, url, first)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_if_modified_since_alone_is_enough(client, archive):
    first = client.get("/articles/")
    assert (
        client.get("/articles/", headers={"If-Modified-Since": first["Last-Modified"]}).status_code
        == 304
    )
    long_ago = http_date(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC).timestamp())
    assert client.get("/articles/", headers={"If-Modified-Since": long_ago}).status_code == 200


def test_a_page_with_another_etag_is_sent_in_full(client, archive):
    response = client.get("/articles/camps-report/", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert "Report on the camps" in response.content.decode()


def test_editing_an_article_changes_every_page(client, archive):
    article, _, _ = archive
    before = client.get("/articles/camps-report/")
    article.title = "Report on the camps, corrected"
    article.save()
    for url in ("/articles/camps-report/", "/", "/sources/rfa/", "/dates/2020/06/"):
        after = conditional_get(client, url, before)
        assert after.status_code == 200, url
        assert "Report on the camps, corrected" in after.content.decode()


@pytest.mark.parametrize(
    ("change", "url", "shown"),
    [
        ("entity", "/entities/xinjiang/", "East Turkestan region"),
        ("alias", "/entities/xinjiang/", "Sinkiang"),
        ("source", "/sources/rfa/", "RFA English"),
        ("mention", "/articles/camps-report/", 'href="/entities/xinjiang/"'),
    ],
)
def test_a_change_that_leaves_articles_alone_still_shows(client, archive, change, url, shown):
    article, xinjiang, rfa = archive
    before = client.get(url)
    assert shown not in before.content.decode()
    if change == "entity":
        xinjiang.public_description = "East Turkestan region"
        xinjiang.save()
    elif change == "alias":
        Alias.objects.create(entity=xinjiang, name="Sinkiang")
    elif change == "source":
        rfa.name = "RFA English"
        rfa.save()
    else:
        Mention.objects.create(
            article=article, entity=xinjiang, paragraph=1, start=14, end=22, surface="Xinjiang"
        )
    after = conditional_get(client, url, before)
    assert after.status_code == 200
    assert shown in after.content.decode()


def test_unpublishing_an_article_changes_the_validators(client, archive):
    article, _, _ = archive
    before = client.get("/articles/")
    article.status = Article.Status.DRAFT
    article.save()
    after = conditional_get(client, "/articles/", before)
    assert after.status_code == 200
    assert "Report on the camps" not in after.content.decode()


def test_missing_pages_carry_no_validators(client, archive):
    missing = client.get("/articles/no-such-report/")
    assert missing.status_code == 404
    assert not missing.has_header("ETag")
    assert client.get("/dates/2020/13/").status_code == 404


def test_an_empty_archive_is_served_without_validators(client):
    assert page_validators() is None
    response = client.get("/")
    assert response.status_code == 200
    assert not response.has_header("ETag")
    assert "no-cache" in response["Cache-Control"]


def test_pages_are_the_same_for_an_editor_so_one_validator_serves_everybody(
    client, archive, editor
):  # `client` is logged in as the editor
    """If a page ever shows who is logged in, or a CSRF token, it must stop sharing validators."""
    from django.test import Client

    anonymous = Client()
    for url in REVALIDATED:
        seen_by_editor = client.get(url)
        seen_by_reader = anonymous.get(url)
        assert seen_by_editor.content == seen_by_reader.content, url
        assert seen_by_editor["ETag"] == seen_by_reader["ETag"]
        page = seen_by_reader.content.decode()
        assert "csrfmiddlewaretoken" not in page


def test_correcting_a_quote_changes_the_validators(archive):
    article, xinjiang, _ = archive
    quote = Quote.objects.create(article=article, paragraph=1, start=4, end=8, text="camps")
    before = page_validators()
    quote.speaker = xinjiang
    quote.speaker_corrected = True
    quote.save()
    assert page_validators() != before


@pytest.fixture
def draft(archive):
    _, xinjiang, _ = archive
    article = Article.objects.create(
        title="Draft on Xinjiang",
        slug="draft-on-xinjiang",
        body="Editors are still checking this report on Xinjiang.",
        status=Article.Status.DRAFT,
    )
    Mention.objects.create(
        article=article, entity=xinjiang, paragraph=1, start=40, end=48, surface="Xinjiang"
    )
    return article


def validators_of_every_page(client):
    return {url: (r["ETag"], r["Last-Modified"]) for url in REVALIDATED if (r := client.get(url))}


def test_editing_only_a_draft_leaves_every_public_page_revalidated(client, archive, draft):
    _, xinjiang, _ = archive
    before = validators_of_every_page(client)
    draft.title = "Draft on Xinjiang, retitled"
    draft.body += "\n\nA second paragraph."
    draft.save()
    Mention.objects.create(article=draft, entity=xinjiang, paragraph=2, start=0, end=1, surface="A")
    Quote.objects.create(article=draft, paragraph=1, start=0, end=7, text="Editors")
    assert validators_of_every_page(client) == before
    for url in REVALIDATED:
        assert conditional_get(client, url, client.get(url)).status_code == 304, url


def test_publishing_a_draft_changes_every_public_page(client, archive, draft):
    before = validators_of_every_page(client)
    draft.status = Article.Status.PUBLISHED
    draft.save()
    after = validators_of_every_page(client)
    assert all(after[url] != before[url] for url in REVALIDATED)
    assert "Draft on Xinjiang" in client.get("/articles/").content.decode()

    draft.status = Article.Status.DRAFT  # and unpublishing it again
    draft.save()
    assert all(etag != after[url][0] for url, (etag, _) in validators_of_every_page(client).items())


def test_the_page_with_every_mention_linked_is_never_taken_for_the_plain_one(client, archive):
    """?mentions=all is another copy of the article: its own ETag, and the plain page's ETag
    does not get a 304 for it."""
    plain = client.get("/articles/camps-report/")
    every = client.get("/articles/camps-report/?mentions=all")
    assert every.status_code == 200
    assert every["ETag"] != plain["ETag"]
    again = client.get(
        "/articles/camps-report/?mentions=all", headers={"If-None-Match": plain["ETag"]}
    )
    assert again.status_code == 200 and again.content == every.content
    assert conditional_get(client, "/articles/camps-report/?mentions=all", every).status_code == 304
