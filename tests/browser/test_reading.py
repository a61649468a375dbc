"""A reader opens the archive in a browser, follows an article and reads it."""

import datetime
from urllib.parse import urlsplit

import pytest

from archive.articles import save_article
from archive.models import Article, Source

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_articles():
    source = Source.objects.create(name="Radio Free Asia", slug="rfa")
    save_article(
        Article(
            title="Uyghur woman says police called her brother",
            slug="police-called-her-brother",
            source=source,
            published_on=datetime.date(2024, 3, 5),
            body="The calls began in 2019.\n\nThe embassy did not reply.",
            status=Article.Status.PUBLISHED,
        )
    )
    return save_article(
        Article(
            title="Report describes camps in Kashgar",
            slug="camps-in-kashgar",
            body="Former detainees described the camps.\n\nThey were held for months.",
            status=Article.Status.PUBLISHED,
        )
    )


def test_reader_follows_an_article_from_the_home_page(live_server, page, two_articles, screenshots):
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_server.url + "/")
    page.screenshot(path=screenshots / "home.png", full_page=True)
    page.get_by_role("link", name="Report describes camps in Kashgar").click()
    page.wait_for_url(f"**{two_articles.get_absolute_url()}")

    assert page.locator("#p-1").inner_text().startswith("Former detainees described the camps.")
    assert page.locator("#p-2").inner_text().startswith("They were held for months.")
    assert page.get_by_text("source unknown").first.is_visible()
    assert page.get_by_text("date unknown").first.is_visible()
    page.screenshot(path=screenshots / "article.png", full_page=True)

    live_host = urlsplit(live_server.url).netloc
    assert requested
    assert {urlsplit(url).netloc for url in requested} == {live_host}


def test_the_stylesheet_is_served_and_applied(live_server, page, two_articles):
    response = page.goto(live_server.url + two_articles.get_absolute_url())
    assert response.ok
    font = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    assert font.startswith("system-ui")


def test_a_reader_without_javascript_pages_to_the_oldest_articles_of_a_source_and_back(
    browser, live_server
):
    source = Source.objects.create(name="Radio Free Asia", slug="rfa")
    first_day = datetime.date(2019, 1, 1)
    for n in range(45):  # three pages: 20, 20 and the 5 oldest
        Article.objects.create(
            title=f"Dispatch {n:02d} from Xinjiang",
            slug=f"dispatch-{n:02d}",
            source=source,
            published_on=first_day + datetime.timedelta(days=n // 2),  # two a day, some days
            body=f"Dispatch {n:02d}.",
            status=Article.Status.PUBLISHED,
        )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + source.get_absolute_url())
    assert page.get_by_text("45 published articles").is_visible()
    seen = []
    for number in (1, 2, 3):
        assert page.get_by_text(f"Page {number} of 3").is_visible()
        seen += page.locator("ol.articles a.summary-title").all_inner_texts()
        if number < 3:
            page.get_by_role("link", name="Older").click()
            page.wait_for_url(f"**?page={number + 1}")
    # Every article once, newest first (the later of two the same day first).
    assert seen == [f"Dispatch {n:02d} from Xinjiang" for n in reversed(range(45))]
    assert page.get_by_role("link", name="Older").count() == 0
    page.get_by_role("link", name="Dispatch 00 from Xinjiang").click()
    assert page.locator("h1").inner_text() == "Dispatch 00 from Xinjiang"
    page.go_back()
    page.get_by_role("link", name="Newer").click()
    page.wait_for_url("**?page=2")
    assert page.get_by_text("Page 2 of 3").is_visible()
    context.close()
