"""Playwright driving the Debian Chromium, for tests that read pages as a browser does."""

import os

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; the Django calls the
# tests make around it are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def reader(browser, live_server):
    """A second browser, not logged in, for the public pages (`reader.base`: the server)."""
    context = browser.new_context()
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


# The reader's archive as the browser tests see it: the five seed articles,
# tagged with the starter vocabulary, two of them given a (made-up) source so
# that source pages, source feeds and previous/next links have something to show.
@pytest.fixture
def reader_archive(seed_dir):
    import io

    from django.core.management import call_command

    from archive.articles import save_article
    from archive.models import Article, Source

    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    wire = Source.objects.create(name="Test Wire", slug="test-wire")
    for article in Article.objects.filter(published_on__year=2020):
        article.source = wire
        save_article(article)
    call_command("refresh_related", stdout=io.StringIO())  # as cron's sync_index stores them
    article = Article.objects.get(published_on="2021-02-10").get_absolute_url()
    return {
        "article": article,
        "source": wire.get_absolute_url(),
        "entity": "/entities/serikzhan-bilash/",
        # Every kind of page a reader opens, each with something on it.
        "pages": [
            "/",
            "/articles/",
            article,
            "/sources/",
            wire.get_absolute_url(),
            "/sources/unknown/",
            "/entities/",
            "/entities/serikzhan-bilash/",
            "/dates/",
            "/dates/2021/",
            "/dates/2021/02/",
            "/dates/unknown/",
            "/about/",
            "/search/?q=Uighurs",
            "/search/help/",
            "/quotes/?q=mercy",
        ],
    }


# Viewports: a desktop window and a phone (touch, mobile meta viewport honoured).
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

EDITOR_PASSWORD = "a long enough passphrase"


@pytest.fixture
def editor_log_in(live_server, browser):
    """Gives pages in new browsers, each logged in through the admin's login form as a member
    of the Editors group (`editor_log_in("phone")` for a phone)."""
    from django.contrib.auth.models import Group, User

    from archive.editors import EDITORS_GROUP

    User.objects.create_user("editor", password=EDITOR_PASSWORD, is_staff=True).groups.add(
        Group.objects.get(name=EDITORS_GROUP)
    )
    contexts = []

    def log_in(viewport="desktop"):
        context = browser.new_context(**VIEWPORTS[viewport])
        contexts.append(context)
        page = context.new_page()
        page.base = live_server.url
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.get_by_label("Username").fill("editor")
        page.get_by_label("Password").fill(EDITOR_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")
        return page

    yield log_in
    for context in contexts:
        context.close()


@pytest.fixture
def open_page(browser):
    """Open a page in a fresh context: `open_page("phone", dark=True, javascript=False)`.

    `axe=True` lets the test inject axe-core, which the archive's strict
    Content-Security-Policy would otherwise (rightly) refuse as an inline script.
    """
    contexts = []

    def open_page(viewport="desktop", *, dark=False, javascript=True, axe=False):
        context = browser.new_context(
            **VIEWPORTS[viewport],
            color_scheme="dark" if dark else "light",
            java_script_enabled=javascript,
            bypass_csp=axe,
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")


@pytest.fixture(scope="session")
def axe_script():
    """axe-core from the npm registry (package.json), installed by `npm ci`, read from disk."""
    path = os.path.normpath(AXE)
    if not os.path.exists(path):
        message = f"no axe-core at {path}: `make test` installs it (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
