"""A journalist's quote tasks in Chromium, through the real pages."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_searching_quotes_for_a_speakers_name_leads_to_what_they_said(
    live_server, page, reader_archive
):
    page.goto(live_server.url + "/quotes/")
    box = page.get_by_role("search", name="Search quotes").get_by_role("searchbox")
    box.fill("Kerim Zair")
    box.press("Enter")
    page.get_by_role("link", name="What Kerim Zair said").click()
    page.wait_for_url("**/quotes/?q=speaker*")
    assert "They requested that I work for them" in page.locator(".hits").inner_text()
    assert page.locator(".hit .speaker").first.inner_text().startswith("— Zair")


def test_a_person_never_quoted_says_so_and_leads_to_the_articles(live_server, page, reader_archive):
    page.goto(live_server.url + reader_archive["entity"])  # Serikzhan Bilash
    note = page.locator(".entity-quotes .note")
    assert "No quotation in the archive is attributed to Serikzhan Bilash" in note.inner_text()
    note.get_by_role("link").click()
    page.wait_for_url("**/search/?entity=serikzhan-bilash")
    assert page.locator(".hit").count() >= 1


def test_a_misremembered_quotation_finds_its_paragraph_with_the_differences_marked(
    live_server, page, reader_archive
):
    """Pasted with curly quotes, one word wrong and one dropped: the right paragraph first,
    the article's own words marked where the paste differs, one click to the paragraph."""
    page.goto(live_server.url + "/")
    box = page.get_by_label("Search the archive")
    box.fill("“Kerim Zair, a Uighur who moved from Sweden to London, said received an anonymous”")
    box.press("Enter")
    near = page.locator("section.near")
    near.wait_for()
    first = near.locator("li.hit").first
    assert "Not only in Xinjiang" in first.locator(".summary-title").inner_text()
    assert first.locator("mark").all_inner_texts() == ["Norway", "he"]
    assert "2 of 14 words differ" in first.inner_text()
    first.locator(".snippet-link").click()
    page.wait_for_url("**/articles/not-only-in-xinjiang-china-threatens-overseas-uighurs/?hl=*#p-7")
    assert page.locator("#p-7").is_visible()
    assert "said he received an anonymous call" in page.locator("#p-7").inner_text()


def test_a_quotation_published_twice_says_which_came_first_only_where_the_dates_tell(
    live_server, page, reader_archive
):
    """Two copies of a quotation, one article undated: the quotes search says the order is
    unknown; the CSV a journalist downloads says so too, opens as UTF-8 and has no guessed
    date."""
    import csv
    import io

    from archive.articles import save_article
    from archive.models import Article

    words = "The officers came at night and took my father away, and we never saw him again"
    for slug, day in (("told-first", "2020-01-05"), ("told-undated", None)):
        save_article(
            Article(
                title=slug.replace("-", " ").capitalize(),
                slug=slug,
                status=Article.Status.PUBLISHED,
                published_on=day,
                body=f"“{words},” said Jane Roe’s sister.",
            )
        )
    page.goto(live_server.url + "/quotes/")
    box = page.get_by_role("search", name="Search quotes").get_by_role("searchbox")
    box.fill("“took my father away”")
    box.press("Enter")
    page.wait_for_url("**/quotes/?q=*")  # count() does not wait for the results page
    traces = page.locator(".hit .trace")
    assert traces.count() == 2
    for text in traces.all_inner_texts():
        assert "Which came first is unknown: an article is undated." in text
        assert "First published" not in text

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    content = open(download.value.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    dated = {row["title"]: row for row in rows if row["quote"]}
    assert dated["Told undated"]["date"] == "" and dated["Told first"]["date"] == "2020-01-05"
    assert {row["first_published_in"] for row in dated.values()} == {"order unknown"}
    assert "’" in dated["Told first"]["citation"] or "“" in dated["Told first"]["citation"]


def test_a_speaker_behind_more_can_be_chosen_without_javascript(
    live_server, open_page, reader_archive
):
    from archive.articles import save_article
    from archive.models import Article, Entity

    names = [f"Person {letter}" for letter in "ABCDEFG"]
    for name in names:
        Entity.objects.create(name=name, slug=name.lower().replace(" ", "-"), kind="person")
    save_article(
        Article(
            title="Seven voices",
            slug="seven-voices",
            status=Article.Status.PUBLISHED,
            body="\n\n".join(f'"We saw the camp from the road that day," {n} said.' for n in names),
        )
    )
    page = open_page("phone", javascript=False)
    page.goto(live_server.url + "/quotes/?q=road")
    facets = page.locator("aside.facets")
    facets.get_by_text("2 more").click()  # a <details>: no script needed
    hidden = facets.locator("details.facet-more a").first
    name = hidden.inner_text()
    hidden.click()
    page.wait_for_url("**/quotes/?q=road&speaker=*")
    assert page.locator(".hit").count() == 1
    assert page.locator(".hit .speaker").inner_text() == f"— {name}"


def test_a_chinese_name_pasted_into_the_search_box_finds_its_paragraph(
    live_server, page, reader_archive
):
    """Written without spaces, a name inside a longer run of characters is still found, marked
    in the snippet, and one click leads to its paragraph, where it links to its entity."""
    from archive.articles import save_article
    from archive.models import Alias, Article, Entity

    chen = Entity.objects.create(name="Chen Quanguo", slug="chen-quanguo", kind="person")
    Alias.objects.create(entity=chen, name="陈全国")
    save_article(
        Article(
            title="The order signed in Ürümqi",
            slug="order-signed",
            status=Article.Status.PUBLISHED,
            body="The order came from Ürümqi.\n\n它由新疆维吾尔自治区党委书记陈全国签署。",
        )
    )
    page.goto(live_server.url + "/")
    box = page.get_by_label("Search the archive")
    box.fill("陈全国")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    hits = page.locator(".hits li.hit")
    assert hits.count() == 1
    assert hits.first.locator("mark").all_inner_texts() == ["陈全国"]
    hits.first.locator(".snippet-link").click()
    page.wait_for_url("**/articles/order-signed/?hl=*#p-2")
    assert page.locator("#p-2 mark").all_inner_texts() == ["陈全国"]
    page.locator("#p-2 a.entity").click()
    page.wait_for_url("**/entities/chen-quanguo/")
