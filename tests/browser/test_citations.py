"""A journalist who reached a paragraph by its link cites that paragraph, in Chromium."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_copy_citation_on_a_paragraph_reached_by_its_link_keeps_the_paragraph(
    live_server, browser, reader_archive
):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        article = live_server.url + reader_archive["article"]
        page.goto(article + "#p-3")
        citation = page.locator("#citation")
        assert f"Archived copy: {article}#p-3" in citation.inner_text()
        assert page.locator("#citation-heading").inner_text() == "Cite ¶3 of this article"

        page.get_by_role("button", name="Copy citation").click()
        page.get_by_role("button", name="Copied").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == citation.inner_text().strip()
        assert f"Archived copy: {article}#p-3" in copied

        # Following another paragraph's link changes what is cited; the article's own
        # address when no paragraph is reached.
        page.locator('a.anchor[href="#p-1"]').click()
        assert f"Archived copy: {article}#p-1" in citation.inner_text()
        page.goto(article)
        assert f"Archived copy: {article}" in citation.inner_text()
        assert f"Archived copy: {article}#" not in citation.inner_text()
        assert page.locator("#citation-heading").inner_text() == "Cite this article"
    finally:
        context.close()


def test_without_javascript_the_article_citation_and_the_way_to_cite_a_paragraph_remain(
    live_server, open_page, reader_archive
):
    page = open_page(javascript=False)
    article = live_server.url + reader_archive["article"]
    page.goto(article + "#p-3")
    assert f"Archived copy: {article}" in page.locator("#citation").inner_text()
    assert f"{article}#p-1" in page.locator(".citation .note").inner_text()
