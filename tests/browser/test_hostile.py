"""Markup and script in articles, entity and source names, URLs and queries render as inert text.

Every page that shows them is opened in Chromium twice: with the archive's
Content-Security-Policy, and with the policy bypassed, so that escaping alone
is shown to be enough. A dialog from any page fails the test (and a control
alert shows that dialogs are caught); no link may lead to `javascript:`, no
element may carry an inline event handler, and every script must be the
archive's own file.
"""

import xml.etree.ElementTree as ET

import pytest

from archive.articles import save_article
from archive.models import Alias, Article, Entity, Source

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TITLE = '<script>alert("title")</script> Zorbistan camps'
BODY = "\n\n".join(
    [
        'Officials in Zorbistan said "><img src=x onerror=alert("body")> was a school.',
        "“<script>alert('quote')</script> we will not stop,” said Qelmex Drovan of Zorbistan.",
        '<a href="javascript:alert(\'link\')">click</a> <iframe src="javascript:alert(1)">'
        "</iframe> <svg/onload=alert('svg')> <body onload=alert('onload')>",
    ]
)
ENTITY_NAME = '<img src=x onerror=alert("entity")>Zorbistan'
SOURCE_NAME = "<svg onload=alert('source')>Wire"
HOSTILE_QUERY = '<script>alert("q")</script> "><img src=x onerror=alert(1)>'

# Checks run in the page: what would show that markup from the data became markup.
INLINE_HANDLERS = """() => [...document.querySelectorAll('*')].flatMap(
    element => [...element.attributes].filter(a => a.name.toLowerCase().startsWith('on'))
        .map(a => element.tagName + ' ' + a.name))"""
FOREIGN_SCRIPTS = """() => [...document.querySelectorAll('script')]
    .filter(s => !s.src || new URL(s.src).origin !== location.origin).map(s => s.outerHTML)"""
SCRIPT_LINKS = """() => [...document.querySelectorAll('[href], [src], [action], [formaction]')]
    .flatMap(e => ['href', 'src', 'action', 'formaction'].map(n => e.getAttribute(n)))
    .filter(v => v && v.trim().toLowerCase().replace(/[\\s\\x00-\\x1f]/g, '')
        .startsWith('javascript:'))"""


@pytest.fixture
def hostile_archive():
    source = Source.objects.create(
        name=SOURCE_NAME, slug="hostile-wire", homepage="javascript:alert('home')"
    )
    entity = Entity.objects.create(
        name=ENTITY_NAME,
        slug="zorbistan",
        kind=Entity.Kind.PLACE,
        public_description='<script>alert("description")</script>',
        reference_url="javascript:alert('reference')",
    )
    Alias.objects.create(entity=entity, name="Zorbistan")
    article = save_article(
        Article(
            title=TITLE,
            slug="hostile",
            body=BODY,
            source=source,
            original_url="javascript:alert('url')",
            authors='<img src=x onerror=alert("author")>',
            status=Article.Status.PUBLISHED,
        )
    )
    assert article.mentions.filter(entity=entity).exists()  # tagged, so shown with the article
    return article


def pages(article):
    return [
        "/",
        "/articles/",
        f"{article.get_absolute_url()}?hl=script+alert+img+onerror",
        "/search/?q=Zorbistan+script+alert",
        "/search/?" + _query(q=HOSTILE_QUERY, source=HOSTILE_QUERY, sort=HOSTILE_QUERY),
        "/search/?" + _query(q="Zorbistan", **{"from": HOSTILE_QUERY, "to": "<b>2020</b>"}),
        "/search/?" + _query(q="source:" + HOSTILE_QUERY),
        "/entities/zorbistan/",
        "/entities/",
        "/sources/hostile-wire/",
        "/sources/",
        "/quotes/?q=stop",
        "/quotes/?" + _query(q=HOSTILE_QUERY),
        "/api/search?q=Zorbistan",
    ]


FEEDS = [
    "/feeds/latest/",
    "/feeds/entities/zorbistan/",
    "/feeds/sources/hostile-wire/",
    "/feeds/search/?q=Zorbistan",
]


def _query(**params):
    from urllib.parse import urlencode

    return urlencode(params)


def open_context(browser, enforce_csp):
    context = browser.new_context(bypass_csp=not enforce_csp)
    page = context.new_page()
    dialogs = []

    def caught(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", caught)
    return context, page, dialogs


def assert_inert(page, url):
    assert page.evaluate(INLINE_HANDLERS) == [], url
    assert page.evaluate(FOREIGN_SCRIPTS) == [], url
    assert page.evaluate(SCRIPT_LINKS) == [], url


@pytest.mark.parametrize("enforce_csp", [True, False], ids=["with-csp", "csp-bypassed"])
def test_hostile_text_renders_as_text_and_runs_nothing(
    live_server, browser, hostile_archive, enforce_csp
):
    context, page, dialogs = open_context(browser, enforce_csp)
    try:
        for path in pages(hostile_archive) + FEEDS:
            response = page.goto(live_server.url + path)
            assert response.status < 500, path
            page.wait_for_load_state("load")
            assert_inert(page, path)
        page.goto(live_server.url + hostile_archive.get_absolute_url())
        assert TITLE in page.locator("h1").inner_text()
        assert 'onerror=alert("body")>' in page.locator("#p-1").inner_text()
        assert "javascript:alert('url')" in page.inner_text("body")  # shown, not linked
        assert page.get_by_role("link", name="javascript:alert('url')").count() == 0
        page.goto(live_server.url + "/entities/zorbistan/")
        assert ENTITY_NAME in page.locator("h1").inner_text()
        page.goto(live_server.url + "/search/?q=Zorbistan+script")
        assert page.locator(".hit mark", has_text="script").count() > 0  # highlighted, as text
        assert TITLE in page.locator(".hit .summary-title").first.inner_text()
        assert dialogs == []

        # The control: a dialog that does open is caught.
        page.evaluate("() => setTimeout(() => alert('control'), 0)")
        page.wait_for_timeout(200)
        assert dialogs == ["alert: control"]
    finally:
        context.close()


def test_feeds_carry_hostile_names_as_escaped_text(live_server, page, hostile_archive):
    atom = "{http://www.w3.org/2005/Atom}"
    for path in FEEDS:
        response = page.request.get(live_server.url + path)
        assert response.status == 200, path
        feed = ET.fromstring(response.body())  # well-formed: nothing broke out of its element
        titles = [entry.findtext(f"{atom}title") for entry in feed.iter(f"{atom}entry")]
        assert TITLE in titles, path
        assert feed.find(f".//{atom}script") is None
    entity_feed = ET.fromstring(page.request.get(live_server.url + FEEDS[1]).body())
    assert ENTITY_NAME in entity_feed.findtext(f"{atom}title")
