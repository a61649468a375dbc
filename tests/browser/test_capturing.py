"""An editor pastes an address in the admin and gets the article; a reader opens the page as
captured, in Chromium: nothing in it runs, and no request leaves for another host. A reader
learns that the original has gone, and an editor finds it in the list of checks."""

import io

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect
from test_accessibility import serious_violations

from archive.models import Article

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("captures_allowed_on_loopback"),
]


@pytest.fixture
def editor_page(editor_log_in):
    return editor_log_in()


def test_an_editor_pastes_an_address_and_a_reader_opens_the_page_as_captured(
    live_server,
    editor_page,
    browser,
    site,  # noqa: F811
):
    address = site.page("/2021/03/almaty-relatives", ARTICLE)
    page = editor_page
    page.goto(f"{live_server.url}/admin/archive/article/")
    page.get_by_role("link", name="Add from address").click()
    page.get_by_label("Address").fill(address)
    page.get_by_role("button", name="Capture the page").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Captured the page")
    expect(page.locator("#id_title")).to_have_value(
        "Relatives of detained Uyghurs gather in Almaty"
    )
    article = Article.objects.get(original_url=address)
    assert article.is_published and article.captures.count() == 1

    context = browser.new_context()
    reader = context.new_page()
    requests = []
    reader.on("request", lambda request: requests.append(request.url))
    reader.goto(live_server.url + article.get_absolute_url())
    site_requests = len(site.requests)
    reader.get_by_role("link", name="the page as captured").click()
    expect(reader.locator("#archive-banner")).to_contain_text("Archived copy, not the live page")
    expect(reader.get_by_text("Dozens of relatives of people detained")).to_be_visible()
    reader.wait_for_load_state("networkidle")
    # The page's script would have renamed the page and marked the body on load.
    assert reader.title() == "Relatives of detained Uyghurs gather in Almaty | Steppe Herald"
    assert reader.evaluate("document.body.dataset.ran") is None
    assert requests and all(url.startswith(live_server.url) for url in requests), requests
    assert len(site.requests) == site_requests  # the original site was not asked again
    context.close()


def test_a_reader_learns_the_original_has_gone_and_an_editor_finds_it_listed(
    live_server,
    editor_page,
    browser,
    open_page,
    axe_script,
    site,  # noqa: F811
):
    address = site.page("/2021/03/almaty-relatives", ARTICLE)
    call_command("capture", address, stdout=io.StringIO(), stderr=io.StringIO())
    site.gone("/2021/03/almaty-relatives")
    call_command("check_originals", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get(original_url=address)
    today = f"{timezone.localdate():%-d %B %Y}"

    # A reader, without JavaScript: the page says it in words, with the date.
    context = browser.new_context(java_script_enabled=False)
    reader = context.new_page()
    reader.goto(live_server.url + article.get_absolute_url())
    expect(reader.locator("#original-status")).to_have_text(
        f"The original was no longer online on {today}: it answered HTTP 410 Gone."
    )
    context.close()
    # The notice stands out, and is readable in both colour schemes.
    checked = open_page(axe=True)
    checked.goto(live_server.url + article.get_absolute_url())
    checked.add_script_tag(path=axe_script)
    for scheme in ("light", "dark"):
        checked.emulate_media(color_scheme=scheme)
        assert not serious_violations(checked, scheme), scheme

    page = editor_page
    page.get_by_role("link", name="Original checks").click()
    page.get_by_role("link", name="no longer online").click()
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(article.title)
    expect(row).to_contain_text("HTTP 410 Gone")
    row.get_by_role("link", name=article.title).click()
    expect(page.locator(".field-original_now")).to_contain_text(
        f"The original was no longer online on {today}"
    )


def test_a_reader_sees_what_changed_in_the_original_since_it_was_captured(
    live_server,
    browser,
    site,  # noqa: F811
):
    address = site.page("/2021/03/almaty-relatives", ARTICLE)
    call_command("capture", address, stdout=io.StringIO(), stderr=io.StringIO())
    site.page(
        "/2021/03/almaty-relatives",
        ARTICLE.replace("the police did not intervene", "the police detained two of them"),
    )
    # Watching the original finds it changed and keeps the page as it answered.
    call_command("check_originals", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get(original_url=address)
    assert article.captures.count() == 2

    context = browser.new_context(java_script_enabled=False)
    reader = context.new_page()
    reader.goto(live_server.url + article.get_absolute_url())
    expect(reader.locator("#original-status")).to_contain_text("The original's text had changed")
    reader.get_by_role("link", name="what changed").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("What changed in the text")
    expect(reader.locator(".change-counts")).to_contain_text("1 paragraph edited")
    expect(reader.locator(".changes del")).to_have_text(["did not intervene"])
    expect(reader.locator(".changes ins")).to_have_text(["detained two of them"])
    context.close()
