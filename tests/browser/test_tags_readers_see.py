"""A reader sees names linked only where they name the entity: no "China" in "Bank of China",
no Kerim Zair for Ahmet Zair the shopkeeper."""

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from archive.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BBC = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bbc" / "bbc.jsonl.gz"
BANK_ARTICLE = "bbc-business-498"
# A made-up article in the corpus schema: a shopkeeper who shares a surname with Kerim Zair.
SHOPKEEPER = {
    "id": "test-shopkeeper",
    "source": "Test Wire",
    "title": "Istanbul traders count the cost of a cold winter",
    "date": "2021-03-05",
    "url": None,
    "author": None,
    "body": "Ahmet Zair, a shopkeeper in Istanbul, said trade had been slow all winter.\n\n"
    "Zair said he would keep his shop open on Sundays.",
}


@pytest.fixture
def archive_with_both(seed_dir, tmp_path):
    if not BBC.exists():
        pytest.skip(f"the BBC corpus is not at {BBC}")
    with gzip.open(BBC, "rt", encoding="utf-8") as stream:
        (bank,) = [line for line in stream if json.loads(line)["id"] == BANK_ARTICLE]
    records = tmp_path / "records.jsonl"
    records.write_text(bank + json.dumps(SHOPKEEPER) + "\n", encoding="utf-8")
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), str(records), "--quiet", stdout=io.StringIO())
    return {
        "bank": Article.objects.get(external_id=BANK_ARTICLE).get_absolute_url(),
        "shopkeeper": Article.objects.get(external_id="test-shopkeeper").get_absolute_url(),
    }


def test_the_bank_article_links_china_the_country_and_never_inside_a_banks_name(
    live_server, page, archive_with_both, screenshots
):
    # Every mention linked ("Link every mention of each name"), not only each name's first.
    page.goto(live_server.url + archive_with_both["bank"] + "?mentions=all")
    assert page.get_by_role("heading", level=1).inner_text() == "Millions go missing at China bank"
    # Each link to China with the words around it, as the reader's page shows them.
    links = page.locator("a.entity", has_text="China").evaluate_all(
        """links => links.map(link => {
            const paragraph = link.closest('p');
            const before = document.createRange();
            before.setStart(paragraph, 0);
            before.setEndBefore(link);
            const after = document.createRange();
            after.setStartAfter(link);
            after.setEnd(paragraph, paragraph.childNodes.length);
            // The link's own words, without the kind written after them ("place").
            const name = link.firstChild.textContent;
            return [before.toString().slice(-8), (name + after.toString()).slice(0, 25)];
        })"""
    )
    assert len(links) == 8  # "China's" seven times and "China-published"
    for before, after in links:
        assert not before.endswith("Bank of "), (before, after)
        assert after.startswith(("China's", "China-published")), (before, after)
    paragraph = page.locator("#p-2")
    assert "Bank of China" in paragraph.inner_text()
    assert paragraph.locator("a.entity").count() == 1  # "China's big four banks"
    page.screenshot(path=screenshots / "tagging-bank-article.png", full_page=True)


def test_kerim_zairs_page_does_not_list_the_shopkeeper_ahmet_zair(
    live_server, page, archive_with_both
):
    page.goto(live_server.url + archive_with_both["shopkeeper"])
    assert page.locator("article a.entity", has_text="Zair").count() == 0
    assert page.get_by_role("link", name="Istanbul").first.is_visible()

    page.goto(live_server.url + "/entities/kerim-zair/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kerim Zair"
    timeline = page.locator("section.timeline")
    titles = timeline.get_by_role("link").all_inner_texts()
    assert "Not only in Xinjiang, China threatens overseas Uighurs" in titles
    assert SHOPKEEPER["title"] not in titles
