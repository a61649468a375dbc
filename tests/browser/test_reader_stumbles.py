"""What a new reader stumbled on (issue 14), acted out in Chromium, without JavaScript where
the page must work without it: on a desktop window and on a phone where the layout matters."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEAKS = "/articles/not-only-in-xinjiang-china-threatens-overseas-uighurs/"
SPYING = "China Spying on Uyghur Muslims Living in Turkey"


def go(page, live_server, path):
    page.goto(live_server.url + path)
    return page


def follow(page, link, url, viewport="desktop"):
    link.tap() if viewport == "phone" else link.click()
    page.wait_for_url(f"**{url}")


# 1. The text reads as text: each name is linked once


def test_a_reader_reads_the_text_with_each_name_linked_once_and_can_ask_for_all(
    live_server, open_page, reader_archive, screenshots
):
    page = go(open_page(javascript=False), live_server, LEAKS)
    body = page.locator("div.body")
    names = body.locator("a.entity")
    hrefs = [names.nth(i).get_attribute("href") for i in range(names.count())]
    assert len(hrefs) > 10 and len(hrefs) == len(set(hrefs))
    assert body.locator('a[href="/entities/china/"]').count() == 1
    assert body.inner_text().count("China") > 1  # the later ones plain text
    assert body.locator("sup.entity-kind").count() == len(hrefs)  # one label per name
    page.screenshot(path=screenshots / "stumble-1-first-mentions.png", full_page=False)

    named = page.get_by_role("complementary", name="Named in this article")
    follow(page, named.get_by_role("link", name="Link every mention of each name"), "?mentions=all")
    assert body.locator('a[href="/entities/china/"]').count() > 1
    assert body.locator("sup.entity-kind").count() == len(hrefs)  # still one label per name
    follow(page, named.get_by_role("link", name="Link only the first mention"), LEAKS)
    assert body.locator('a[href="/entities/china/"]').count() == 1


# 2. Every value of a facet can be chosen; a year is one filter


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_reader_chooses_a_place_past_the_first_five_and_a_year_as_one_filter(
    live_server, open_page, reader_archive, viewport
):
    page = go(open_page(viewport, javascript=False), live_server, "/search/?q=Uyghur")
    facets = page.get_by_role("complementary", name="Narrow by")
    follow(page, facets.get_by_role("link", name="2021", exact=True), "to=2021", viewport)
    filters = page.locator(".active-filters li")
    assert filters.all_inner_texts() == ["Dates: 2021 remove"]

    kazakhstan = facets.get_by_role("link", name="Kazakhstan", exact=True)
    assert not kazakhstan.is_visible()
    more = facets.locator("details.facet-more summary", has_text="more")
    more.tap() if viewport == "phone" else more.click()
    follow(page, kazakhstan, "entity=kazakhstan", viewport)
    assert sorted(filters.all_inner_texts()) == ["Dates: 2021 remove", "Entity: Kazakhstan remove"]

    remove = page.get_by_role("link", name="Remove the dates 2021")
    follow(page, remove, "?q=Uyghur&entity=kazakhstan", viewport)
    assert filters.all_inner_texts() == ["Entity: Kazakhstan remove"]
    assert page.locator("#from").input_value() == page.locator("#to").input_value() == ""


# 3. One search box


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_search_page_offers_one_search_box(live_server, open_page, reader_archive, viewport):
    page = go(open_page(viewport), live_server, "/search/?q=Uyghur")
    boxes = page.get_by_role("searchbox")
    assert boxes.count() == 1
    assert boxes.input_value() == "Uyghur"
    go(page, live_server, "/entities/")
    assert page.get_by_role("searchbox").count() == 1  # elsewhere, the header's


# 4. A hit is a short snippet, and leads to the other matching paragraphs


def test_each_hit_is_short_and_leads_to_the_other_matching_paragraphs(
    live_server, open_page, reader_archive, screenshots
):
    page = go(open_page(), live_server, "/search/?q=Uyghur")
    hits = page.locator("li.hit")
    assert hits.count() == 5
    for i in range(hits.count()):
        hit = hits.nth(i)
        assert hit.locator("p.snippet").count() == 1
        # Three paragraphs of up to 320 characters made a hit 450 px high, 20 of them 9,000 px.
        assert hit.bounding_box()["height"] < 400, hit.inner_text()
    page.screenshot(path=screenshots / "stumble-4-short-hits.png", full_page=True)

    spying = hits.filter(has_text=SPYING)
    more = spying.locator(".more-matches a")
    count, first = re.match(
        r"(\d+) more matching paragraphs?, from ¶(\d+)",
        spying.locator(".more-matches").inner_text(),
    ).groups()
    assert int(count) >= 2
    follow(page, more, f"#p-{first}")
    paragraph = page.locator(f"#p-{first}")
    assert paragraph.evaluate("p => p.matches(':target')")
    assert paragraph.locator("mark").count() >= 1
    assert paragraph.is_visible()


# 5. On a phone, the filters are one tap away


def test_on_a_phone_the_filters_are_reached_from_the_top_of_the_results(
    live_server, open_page, reader_archive, screenshots
):
    page = go(open_page("phone", javascript=False), live_server, "/search/?q=Uyghur")
    jump = page.get_by_role("link", name="Narrow by source, year or entity")
    assert jump.is_visible()
    assert jump.bounding_box()["y"] + 20 < 844  # on the first screen
    heading = page.get_by_role("heading", name="Narrow by")
    assert heading.bounding_box()["y"] > 844  # the filters come after all the results
    follow(page, jump, "#facets-heading", "phone")
    page.wait_for_function("Math.abs(document.querySelector('#facets-heading')"
                           ".getBoundingClientRect().top) < 100")  # fmt: skip
    page.screenshot(path=screenshots / "stumble-5-phone-filters.png", full_page=False)
    follow(page, page.get_by_role("link", name="Back to the results"), "#results-heading", "phone")

    desktop = go(open_page("desktop"), live_server, "/search/?q=Uyghur")
    assert not desktop.get_by_role("link", name="Narrow by source, year or entity").is_visible()
    assert desktop.get_by_role("heading", name="Narrow by").is_visible()


# 6. Public entity pages show what is written for readers only


def test_entity_pages_show_no_editors_notes_and_the_list_no_unnamed_entities(
    live_server, open_page, reader_archive
):
    from archive.models import Entity
    from tests.entity_counts import entities_with_counts

    page = open_page()
    for slug in ("serikzhan-bilash", "ata-jurt-eriktileri", "xi-jinping"):
        assert Entity.objects.get(slug=slug).notes  # the fixture has notes for them
        go(page, live_server, f"/entities/{slug}/")
        assert "seed" not in page.locator("main").inner_text()

    go(page, live_server, "/entities/")
    listed = set(page.locator("main ul.counted a").all_inner_texts())
    counts = {e.name: e.article_count for e in entities_with_counts()}
    assert listed == {name for name, count in counts.items() if count}
    assert any(count == 0 for count in counts.values())
    assert "0 articles" not in page.locator("main").inner_text()


# 7. Related articles follow the text and do not rest on common names


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_related_articles_follow_the_text_for_their_own_reasons(
    live_server, open_page, reader_archive, viewport
):
    page = go(open_page(viewport), live_server, LEAKS)

    def top(name):
        return page.get_by_role("heading", name=name, exact=True).bounding_box()["y"]

    text_end = page.locator("div.body p").last.bounding_box()
    related = top("Related articles")
    assert text_end["y"] + text_end["height"] <= related < top("About this copy")
    if viewport == "phone":
        assert related < top("Named in this article")
    reasons = page.locator(".related .related-note").all_inner_texts()
    assert reasons
    for reason in reasons:
        assert not re.search(r"\b(China|Muslims|Uyghurs|Xinjiang)\b", reason), reason
    spying = page.locator(".related li", has_text=SPYING)
    assert spying.locator(".related-note").inner_text() == "Similar wording"


def test_an_article_whose_list_is_not_worked_out_yet_shows_articles_sharing_its_names(
    live_server, open_page, reader_archive
):
    """Before sync_index reaches a new article, its page does not wait for more-like-this:
    the articles that share its particular names stand in, and say so."""
    from archive.models import Article, RelatedList

    article = Article.objects.get(slug=LEAKS.strip("/").split("/")[-1])
    RelatedList.objects.filter(article=article).delete()
    page = go(open_page(javascript=False), live_server, LEAKS)
    reasons = page.locator(".related .related-note").all_inner_texts()
    assert reasons and all(reason.startswith("Shares: ") for reason in reasons), reasons
    for reason in reasons:
        assert not re.search(r"\b(China|Muslims|Uyghurs|Xinjiang)\b", reason), reason
    assert not RelatedList.objects.filter(article=article).exists()  # left for sync_index


# 8. A paragraph's link shows its first line on a phone


def test_a_paragraph_opened_by_its_link_shows_its_first_line_on_a_phone(
    live_server, open_page, reader_archive, screenshots
):
    page = go(open_page("phone"), live_server, LEAKS + "#p-7")
    paragraph = page.locator("#p-7")
    assert paragraph.evaluate("p => p.matches(':target')")
    top = paragraph.evaluate("p => p.getBoundingClientRect().top")
    assert 12 <= top <= 40, top  # below the top edge, outline and first line in view
    page.screenshot(path=screenshots / "stumble-8-paragraph-link.png", full_page=False)
