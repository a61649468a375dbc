"""A reader follows a name in an article to the page of the person it names."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEED_001 = "/articles/not-only-in-xinjiang-china-threatens-overseas-uighurs/"
SEED_001_TITLE = "Not only in Xinjiang, China threatens overseas Uighurs"


@pytest.fixture
def tagged_seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet")


def test_reader_clicks_a_name_in_the_text_and_finds_the_article_on_its_page(
    live_server, page, tagged_seeds, screenshots
):
    page.goto(live_server.url + SEED_001)
    name = page.locator("#p-7 a.entity", has_text="Kerim Zair")
    assert name.get_attribute("title") == "Person: Kerim Zair"
    assert name.locator("sup").inner_text() == "person"
    panel = page.get_by_role("complementary", name="Named in this article")
    assert panel.get_by_role("link", name="Kerim Zair").is_visible()

    name.click()
    page.wait_for_url("**/entities/kerim-zair/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kerim Zair"
    timeline = page.locator("section.timeline")
    entry = timeline.get_by_role("link", name=SEED_001_TITLE)
    assert entry.is_visible()
    assert timeline.locator("mark").first.inner_text() == "Kerim Zair"

    page.screenshot(path=screenshots / "entity.png", full_page=True)

    entry.click()
    page.wait_for_url(f"**{SEED_001}")
