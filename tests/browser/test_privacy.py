"""Reading the archive tells no one else: every request a page makes goes to the
archive itself and no font or CDN is fetched. Every page reads without JavaScript,
fits a phone's width, and the feeds and sitemap they point to parse."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

# Addresses a page names for the browser to fetch or connect to ahead of time:
# a preconnect or dns-prefetch makes no request Playwright can see, but still
# tells a third party who is reading.
NAMED_ADDRESSES = """() => [
    ...document.querySelectorAll('[src], link[href], [srcset], [poster], object[data]')
].map(e => e.src || e.href || e.getAttribute('srcset') || e.poster || e.data)"""


ATOM_LINKS = 'link[rel="alternate"][type="application/atom+xml"]'
FEEDS = [
    "/feeds/latest/",
    "/feeds/sources/test-wire/",
    "/feeds/entities/serikzhan-bilash/",
    "/feeds/search/?q=Uighurs",
]


def other_hosts(urls, live_server):
    ours = urlsplit(live_server.url).netloc
    return sorted({url for url in urls if urlsplit(url).netloc not in ("", ours)})


def test_no_page_makes_a_request_to_another_host(live_server, open_page, reader_archive):
    pages = reader_archive["pages"] + FEEDS + ["/sitemap.xml"]
    page = open_page()
    requests, named, advertised = [], [], set()
    page.on("request", lambda request: requests.append(request))
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        named += page.evaluate(NAMED_ADDRESSES)
        advertised.update(page.locator(ATOM_LINKS).evaluate_all("links => links.map(l => l.href)"))
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    named += page.evaluate(NAMED_ADDRESSES)

    # Every page above was fetched, with its stylesheet and the one script.
    paths = {urlsplit(r.url).path for r in requests}
    assert {urlsplit(p).path for p in pages} <= paths
    assert any(path.endswith(".css") for path in paths)
    assert any(path.endswith("copy.js") for path in paths)
    assert other_hosts([r.url for r in requests], live_server) == []
    assert other_hosts(named, live_server) == []
    assert [r.url for r in requests if r.resource_type == "font"] == []  # system fonts only
    # The feeds visited above are the ones the pages point to.
    assert advertised == {live_server.url + feed for feed in FEEDS}


def test_on_a_phone_without_javascript_every_page_reads_fits_and_searches(
    live_server, open_page, reader_archive
):
    page = open_page("phone", javascript=False)
    too_wide = {}
    for path in reader_archive["pages"] + ["/no-such-page/"]:
        page.goto(live_server.url + path)
        assert page.locator("h1").is_visible(), path
        assert len(page.locator("main").inner_text()) > 100, path
        widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            too_wide[path] = widths
    assert too_wide == {}, "wider than a 390 px phone: [scroll width, window width]"

    # The article page's only script adds a copy button; without it the citation is there.
    page.goto(live_server.url + reader_archive["article"])
    assert page.locator("#citation").is_visible()
    assert page.get_by_role("button", name="Copy citation").is_hidden()

    page.goto(live_server.url + "/")
    page.get_by_label("Search the archive").fill("Kazakhstan")
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_url("**/search/?q=Kazakhstan")
    assert page.locator(".hit mark", has_text="Kazakhstan").first.is_visible()

    page.get_by_role("search", name="Search articles").get_by_role("searchbox").fill("Bilash")
    page.get_by_role("search", name="Search articles").get_by_role("button").click()
    page.wait_for_url("**/search/?q=Bilash*")
    assert page.get_by_role("heading", name="1 article").is_visible()


def test_sitemap_and_feeds_parse_and_point_to_listed_pages(live_server, open_page, reader_archive):
    page = open_page(javascript=False)
    sitemap = ET.fromstring(page.request.get(live_server.url + "/sitemap.xml").body())
    locations = [loc.text for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert all(loc.startswith(live_server.url + "/") for loc in locations)
    listed = {urlsplit(loc).path for loc in locations}
    not_for_indexing = {"/search/", "/quotes/", "/sources/unknown/"}
    assert {urlsplit(p).path for p in reader_archive["pages"]} - not_for_indexing <= listed

    for path in FEEDS:
        feed_url = live_server.url + path
        response = page.request.get(feed_url)
        assert response.headers["content-type"].startswith("application/atom+xml"), feed_url
        feed = ET.fromstring(response.body())
        assert feed.tag == f"{ATOM}feed" and feed.find(f"{ATOM}title").text, feed_url
        entries = feed.findall(f"{ATOM}entry")
        assert entries, feed_url
        for entry in entries:
            link = entry.find(f"{ATOM}link").get("href")
            assert link.startswith(live_server.url + "/articles/"), link
            assert urlsplit(link).path in listed, link
