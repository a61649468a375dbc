"""A reader on a phone or a desktop browses by date to an article, follows a name,
finds the feeds, and can skip to the content and see where the focus is from the keyboard."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FEBRUARY_2021 = "Dozens of people converged this week outside China’s embassies"
JUNE_2020 = "Not only in Xinjiang, China threatens overseas Uighurs"
MAY_2020 = "The Chinese government issued an extradition request"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_reader_browses_home_year_month_article_and_a_name(
    live_server, open_page, reader_archive, viewport
):
    page = open_page(viewport)

    def follow(link, url):
        link.tap() if viewport == "phone" else link.click()
        page.wait_for_url(f"**{url}")

    page.goto(live_server.url + "/")
    dates = page.locator('section[aria-labelledby="dates-heading"]')
    follow(dates.get_by_role("link", name="2021", exact=True), "/dates/2021/")
    assert page.get_by_role("heading", level=1).inner_text() == "Articles from 2021"
    follow(
        page.locator('nav[aria-label="Months of 2021"]').get_by_role("link", name="February"),
        "/dates/2021/02/",
    )
    crumbs = page.locator("nav.breadcrumbs[aria-label=Breadcrumb]")
    assert crumbs.get_by_role("link").all_inner_texts() == ["Dates", "2021"]
    follow(page.get_by_role("link", name=FEBRUARY_2021), reader_archive["article"])

    named = page.get_by_role("complementary", name="Named in this article")
    follow(named.get_by_role("link", name="Serikzhan Bilash"), "/entities/serikzhan-bilash/")
    assert page.get_by_role("heading", level=1).inner_text() == "Serikzhan Bilash"
    assert page.locator("section.timeline").get_by_role("link", name=FEBRUARY_2021).is_visible()

    # Back by month: the month before February 2021 with articles, and along the source.
    page.goto(live_server.url + "/dates/2021/02/")
    follow(page.locator('nav[aria-label="Other months"] a[rel=prev]'), "/dates/2020/06/")
    follow(
        page.get_by_role("link", name=JUNE_2020),
        "/articles/not-only-in-xinjiang-china-threatens-overseas-uighurs/",
    )
    neighbours = page.locator("nav.neighbours")
    assert neighbours.get_by_role("heading").inner_text() == "More from Test Wire"
    previous = neighbours.locator("a[rel=prev]")
    assert previous.inner_text().startswith(MAY_2020)
    follow(
        previous,
        "/articles/the-chinese-government-issued-an-extradition-request-for-a-uighur-who-fled-to/",
    )


def test_lists_entities_sources_and_searches_offer_a_feed(live_server, open_page, reader_archive):
    page = open_page("phone")
    for path, feed in [
        ("/articles/", "/feeds/latest/"),
        (reader_archive["source"], "/feeds/sources/test-wire/"),
        (reader_archive["entity"], "/feeds/entities/serikzhan-bilash/"),
        ("/search/?q=Uighurs", "/feeds/search/?q=Uighurs"),
    ]:
        page.goto(live_server.url + path)
        advertised = page.locator(
            f'head link[rel=alternate][type="application/atom+xml"][href="{feed}"]'
        )
        assert advertised.count() == 1, path
        assert page.locator(f'main a[href="{feed}"], footer a[href="{feed}"]').first.is_visible(), (
            path
        )


def test_keyboard_skip_link_and_visible_focus(live_server, open_page, reader_archive):
    page = open_page()
    for scheme in ["light", "dark"]:
        page.emulate_media(color_scheme=scheme)
        page.goto(live_server.url + reader_archive["article"])

        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        assert skip.evaluate("link => link === document.activeElement"), scheme
        box = skip.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0  # on screen once focused

        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        assert focused.evaluate("e => e.tagName === 'A' && e.closest('main') !== null")
        style, width, contrast = focused.evaluate(FOCUS_RING)
        assert style != "none" and width != "0px", (scheme, style, width)
        assert contrast >= 3, f"focus ring {contrast:.2f}:1 against the page in {scheme}"


# The focused element's outline style and width, and its colour's contrast
# against the page (WCAG 1.4.11 asks 3:1).
FOCUS_RING = """e => {
    const luminance = colour => {
        const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map(c => c / 255).map(
            c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const s = getComputedStyle(e);
    const page = getComputedStyle(document.documentElement).backgroundColor;
    const [dark, light] = [luminance(s.outlineColor), luminance(page)].sort((x, y) => x - y);
    return [s.outlineStyle, s.outlineWidth, (light + 0.05) / (dark + 0.05)];
}"""
