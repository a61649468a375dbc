"""A journalist pastes a quote into the search box and lands on the paragraph, highlighted."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUOTE = "President Xi Jinping’s directives to “show absolutely no mercy”"


@pytest.fixture
def seeds(seed_dir):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


def test_a_pasted_curly_quote_leads_to_its_paragraph_highlighted(
    live_server, page, seeds, screenshots
):
    page.goto(live_server.url + "/search/")
    page.get_by_label("Words, a “quoted phrase”").fill(
        f"“{QUOTE.replace('“', '').replace('”', '')}”"
    )
    page.get_by_label("Words, a “quoted phrase”").press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.get_by_role("heading", name="1 article").is_visible()
    page.screenshot(path=screenshots / "search.png", full_page=True)

    page.locator(".hit .summary-title").first.click()
    page.wait_for_url("**/articles/**#p-*")
    anchor = page.url.rsplit("#", 1)[1]
    paragraph = page.locator(f"#{anchor}")
    assert "show absolutely no mercy" in paragraph.locator("mark").all_inner_texts()[-1]
    assert "Xi Jinping" in paragraph.inner_text()
    assert paragraph.evaluate("p => p.matches(':target')")
    page.screenshot(path=screenshots / "search-hit.png", full_page=False)


def test_search_works_without_javascript(live_server, browser, seeds):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/search/?q=Kunbolat")
    assert page.get_by_role("heading", name="1 article").is_visible()
    assert page.locator("mark", has_text="Kunbolat").first.is_visible()
    context.close()


def test_a_search_too_large_to_run_whole_says_what_it_left_out(live_server, page, seeds):
    # 140 two-letter wildcards once held a worker for seconds; now the first few
    # are searched and the page says which were not, beside the results.
    letters = "abcdefghijklmnopqrstuvwxyz"
    wildcards = " OR ".join(f"{a}{b}*" for a in letters for b in letters)[: 140 * 7]
    query = f"camps {wildcards.rsplit(' OR ', 1)[0]} -economy"
    page.goto(live_server.url + "/search/")
    box = page.get_by_label("Words, a “quoted phrase”")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    note = page.locator(".notes[role=status]", has_text="wildcard words")
    assert note.is_visible()
    assert "left out:" in note.inner_text()
    assert page.locator("#results-heading").is_visible()


def test_a_misspelt_word_gets_the_archive_s_word_and_one_click_searches_it(
    live_server, page, seeds
):
    page.goto(live_server.url + "/search/")
    box = page.get_by_label("Words, a “quoted phrase”")
    box.fill("extraditon")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    suggestion = page.locator(".suggestion")
    assert "Did you mean extradition?" in suggestion.inner_text()
    suggestion.get_by_role("link", name="extradition").click()
    page.wait_for_url("**/search/?q=extradition*")
    assert page.locator(".hit").count() > 0
    assert page.locator(".hit mark", has_text="extradition").first.is_visible()
    assert page.locator(".suggestion").count() == 0
