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
