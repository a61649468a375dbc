"""The archive keeps answering when the search index is missing, emptied or locked, and comes back
after a worker or a rebuild is killed with SIGKILL, with one command to bring the index in line.

The first tests run in this process against the test's own Whoosh index; the
last ones start real processes (gunicorn, `manage.py`) on a temporary archive
and kill them (helpers in tests/test_load.py).
"""

import shutil

import pytest
from django.core.management import call_command

from archive.models import Article, Entity
from archive.search.health import INDEX_INCOMPLETE, SEARCH_UNAVAILABLE

SEARCH_ANSWERS = ["/search/?q=Uyghur", "/api/search?q=Uyghur", "/search/export.csv?q=Uyghur"]
SEARCH_FEED = "/feeds/search/?q=Uyghur"


@pytest.fixture
def seeded(db, search_index):
    """The seed articles and the entity vocabulary, indexed."""
    call_command("loaddata", "fixtures/seed_articles.json", "fixtures/entities.json", verbosity=0)
    call_command("update_index", verbosity=0)
    assert search_index.searcher().doc_count() == Article.objects.published().count() > 0
    return search_index


def reader_pages():
    """Pages that come from the database alone: they must not notice the index at all."""
    article = Article.objects.published().first()
    entity = Entity.objects.first()
    return [
        "/",
        "/articles/",
        article.get_absolute_url(),
        entity.get_absolute_url(),
        "/feeds/latest/",
        "/search/",  # the empty search form asks the index nothing
    ]


def assert_reader_pages_unaffected(client):
    for url in reader_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Search-Notice" not in response.headers, url


def assert_search_says(client, notice):
    page = client.get("/search/?q=Uyghur")
    assert page.status_code == notice.status
    assert notice.text in page.content.decode()
    assert page["Search-Notice"] == notice.text
    api = client.get("/api/search?q=Uyghur")
    assert api.status_code == notice.status
    assert api.json()["index_notice"] == notice.text
    for url in [*SEARCH_ANSWERS, SEARCH_FEED]:
        response = client.get(url)
        assert response.status_code == notice.status, url
        assert response["Search-Notice"] == notice.text, url
        if notice.unavailable:
            assert int(response["Retry-After"]) > 0
    feed = client.get(SEARCH_FEED).content.decode()
    assert notice.text in feed


@pytest.mark.django_db(transaction=True)
def test_a_complete_index_answers_without_a_notice(client, seeded):
    for url in [*SEARCH_ANSWERS, SEARCH_FEED]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Search-Notice" not in response.headers, url
    assert client.get("/api/search?q=Uyghur").json()["index_notice"] is None


@pytest.mark.django_db(transaction=True)
def test_a_deleted_index_directory_makes_search_unavailable_not_an_error(client, seeded):
    client.get("/search/?q=Uyghur")  # this process has the index open, as a server would
    shutil.rmtree(seeded.path)

    assert_search_says(client, SEARCH_UNAVAILABLE)
    page = client.get("/search/?q=Uyghur").content.decode()
    assert "No published article matches" not in page  # not "nothing found": search is down
    assert 'href="/dates/"' in page  # the ways of browsing that still work
    assert_reader_pages_unaffected(client)

    call_command("rebuild_index", interactive=False, verbosity=0)
    response = client.get("/api/search?q=Uyghur")
    assert response.status_code == 200
    assert response.json()["count"] > 0
    assert response.json()["index_notice"] is None


@pytest.mark.django_db(transaction=True)
def test_an_index_emptied_by_a_rebuild_under_way_says_results_may_be_incomplete(client, seeded):
    # rebuild_index first clears the index (haystack deletes the Whoosh files
    # and creates an empty index), then adds the articles batch by batch.
    seeded.clear()

    assert_search_says(client, INDEX_INCOMPLETE)
    assert client.get("/api/search?q=Uyghur").json()["count"] == 0
    assert_reader_pages_unaffected(client)

    call_command("update_index", verbosity=0)
    assert client.get("/api/search?q=Uyghur").json()["index_notice"] is None


@pytest.mark.django_db(transaction=True)
def test_changes_waiting_in_the_queue_are_not_called_a_rebuild(client, seeded):
    seeded.lock_timeout = 0.2
    other_process = seeded.index.writer()  # holds Whoosh's single write lock
    try:
        article = Article.objects.published().first()
        article.status = Article.Status.DRAFT
        article.save()  # the index cannot take it: it waits in the queue
        Article.objects.filter(pk=article.pk).update(status=Article.Status.PUBLISHED)
        Article.objects.create(
            title="A new article while the index is locked",
            slug="new-while-locked",
            body="Waiting for the index.",
            status=Article.Status.PUBLISHED,
        )
        # Searches read while a writer holds the lock; nothing is missing
        # beyond what the queue will bring.
        for url in [*SEARCH_ANSWERS, SEARCH_FEED]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Search-Notice" not in response.headers, url
    finally:
        other_process.cancel()


@pytest.mark.django_db(transaction=True)
def test_an_index_missing_articles_without_queue_says_so_until_update_index(client, seeded):
    article = Article.objects.published().first()
    seeded.remove(article)  # lost from the index, e.g. by a crash, with nothing queued

    assert_search_says(client, INDEX_INCOMPLETE)
    call_command("update_index", verbosity=0)
    assert "Search-Notice" not in client.get("/search/?q=Uyghur").headers


def test_a_bug_in_the_archive_is_not_dressed_up_as_an_outage():
    from archive.search.health import is_engine_failure

    assert not is_engine_failure(ValueError("a mistake of ours"))
    assert not is_engine_failure(KeyError("page"))
    assert is_engine_failure(FileNotFoundError("MAIN_x.seg"))

    from haystack.exceptions import SearchBackendError

    assert is_engine_failure(SearchBackendError("engine down"))
