"""Editors curate in Chromium as they would: an article's tags by entity (every wrong "China"
cleared in one action, single tags rejected, an entity tagged by selecting its name in a
sentence), an entity's tags across the archive, a draft's preview, a capture date; on a
desktop window and on a phone, no page wider than the screen."""

import datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from archive.articles import save_article
from archive.models import Article, Entity, Mention
from tests.old_tags import tag_every_occurrence

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Made up for the test, after the BBC's "Millions go missing at China bank".
BANK_BODY = "\n\n".join(
    [
        "Millions of yuan have gone missing at a branch of the Bank of China in Henan.",
        "The Bank of China said it was investigating, the South China Morning Post reported.",
        "Customers of China Construction Bank queued outside its branches too, with "
        "https://example.com/a-very-long-address-that-does-not-break-anywhere-at-all-ever "
        "on their placards.",
        "Regulators in China have promised to act.",
    ]
)


@pytest.fixture
def bank(db):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    article = save_article(
        Article(
            title="Millions go missing at China bank",
            slug="millions-go-missing-at-china-bank",
            body=BANK_BODY,
            status=Article.Status.PUBLISHED,
            published_on=datetime.date(2022, 7, 11),
        )
    )
    # Tagged before the rules: every "China", in "Bank of China" and the rest too.
    return tag_every_occurrence(article, "china", "China")


@pytest.fixture
def log_in(editor_log_in):
    return editor_log_in


def fits_the_screen(page):
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"


def open_tags_by_entity(page, article):
    page.goto(f"{page.base}/admin/archive/article/{article.pk}/change/")
    page.get_by_role("link", name="curate tags by entity").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("by entity")


def china_links(reader, article):
    # Every mention linked, not only the first of each name (what a reader can ask for).
    reader.goto(reader.base + article.get_absolute_url() + "?mentions=all")
    return reader.locator("div.body a.entity", has_text="China")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_clears_every_wrong_china_in_one_action(
    log_in, reader, bank, viewport, screenshots
):
    china = Entity.objects.get(slug="china")
    count = bank.mentions.filter(entity=china).count()
    assert count == 5 and china_links(reader, bank).count() == 5
    page = log_in(viewport)
    open_tags_by_entity(page, bank)
    section = page.locator(f"#entity-{china.pk}")
    expect(section.locator("li.occurrence")).to_have_count(count)
    expect(section.locator("li.occurrence").first).to_contain_text("¶1")
    expect(section.locator("mark").first).to_have_text("China")
    fits_the_screen(page)

    section.get_by_role("button", name=f"Reject all {count} in this article").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        f"{count} tag(s) of China in this article rejected"
    )
    expect(page.locator(f"#entity-{china.pk} li.occurrence.rejected")).to_have_count(count)
    fits_the_screen(page)
    page.screenshot(path=screenshots / f"curate-tags-by-entity-{viewport}.png", full_page=True)
    assert not bank.mentions.filter(entity=china, rejected=False).exists()
    expect(china_links(reader, bank)).to_have_count(0)

    # The one right "China" (¶4) comes back by ticking it.
    right = page.locator(f"#entity-{china.pk} li.occurrence", has_text="Regulators in")
    right.get_by_role("checkbox").check()
    page.get_by_role("button", name="Restore the ticked tags").click()
    expect(page.locator(".messagelist .success")).to_contain_text("1 tag(s) restored")
    expect(china_links(reader, bank)).to_have_count(1)

    # The article's tags as one list, each in its sentence, fit the screen too.
    page.get_by_role("link", name="all tags as a list").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(count)
    expect(page.locator("#result_list mark").first).to_have_text("China")
    fits_the_screen(page)


def select_words(page, element, words):
    """Select `words` in `element`'s text with the mouse's result: a range over its text nodes."""
    page.evaluate(
        """([element, words]) => {
            const start = element.textContent.indexOf(words), end = start + words.length;
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let position = 0, node;
            while ((node = walker.nextNode())) {
                const length = node.textContent.length;
                if (position <= start && start < position + length) {
                    range.setStart(node, start - position);
                }
                if (position < end && end <= position + length) {
                    range.setEnd(node, end - position);
                    break;
                }
                position += length;
            }
            document.getSelection().removeAllRanges();
            document.getSelection().addRange(range);
        }""",
        [element.element_handle(), words],
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_tags_an_entity_by_selecting_its_name_in_the_text(log_in, reader, bank, viewport):
    bank_of_china = Entity.objects.create(
        name="Bank of China", slug="bank-of-china", kind=Entity.Kind.ORGANISATION
    )
    page = log_in(viewport)
    open_tags_by_entity(page, bank)
    sentence = page.locator("li.occurrence .sentence", has_text="said it was investigating").first
    select_words(page, sentence, "Bank of China")
    expect(page.locator("#id_words")).to_have_value("Bank of China")
    page.locator("#tag-words .select2-selection").click()
    page.locator(".select2-search__field").fill("Bank of")
    page.locator(".select2-results__option", has_text="Bank of China").click()
    page.get_by_role("button", name="Tag every place it is written").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "Bank of China tagged at 2 place(s)"
    )
    expect(page.locator(f"#entity-{bank_of_china.pk} li.occurrence")).to_have_count(2)
    fits_the_screen(page)
    assert set(bank.mentions.filter(entity=bank_of_china).values_list("origin", flat=True)) == {
        Mention.Origin.EDITOR
    }
    reader.goto(reader.base + bank.get_absolute_url() + "?mentions=all")
    expect(reader.locator("#p-2 a.entity", has_text="Bank of China")).to_have_count(1)

    # Words the text does not hold are refused, saying why.
    page.locator("#id_words").fill("Bank of Japan")
    page.locator("#tag-words .select2-selection").click()
    page.locator(".select2-search__field").fill("Bank of")
    page.locator(".select2-results__option", has_text="Bank of China").click()
    page.get_by_role("button", name="Tag every place it is written").click()
    expect(page.locator("#tag-words .errorlist")).to_contain_text(
        "“Bank of Japan” is not in the article's text"
    )
    fits_the_screen(page)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_rejects_tags_from_the_entitys_list_across_the_archive(
    log_in, reader, bank, viewport, screenshots
):
    china = Entity.objects.get(slug="china")
    other = save_article(
        Article(
            title="Trade with China grows",
            slug="trade-with-china-grows",
            body="Exports to China rose in May.",
            status=Article.Status.PUBLISHED,
            published_on=datetime.date(2023, 1, 2),
        )
    )
    page = log_in(viewport)
    page.goto(f"{page.base}/admin/archive/entity/{china.pk}/change/")
    page.get_by_role("link", name="review them in their sentences").click()
    expect(page.locator("h1")).to_contain_text("Tags of China across the archive")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(6)
    # Newest article first, each row its sentence, article and ¶.
    expect(rows.first).to_contain_text("Exports to China rose in May.")
    expect(rows.first).to_contain_text("Trade with China grows")
    expect(rows.first).to_contain_text("2 January 2023")
    fits_the_screen(page)
    page.screenshot(path=screenshots / f"curate-entity-tags-{viewport}.png", full_page=True)

    bank_row = rows.filter(has_text="Bank of China said it was investigating")
    bank_row.locator('input[name="_selected_action"]').first.check()
    page.locator('select[name="action"]').select_option("reject_entity_in_articles")
    page.locator('button[name="index"]').first.click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "5 tag(s) rejected in 1 article(s)"
    )
    fits_the_screen(page)
    expect(china_links(reader, bank)).to_have_count(0)
    expect(china_links(reader, other)).to_have_count(1)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_previews_a_draft_that_readers_cannot_see(log_in, reader, bank, viewport):
    draft = save_article(
        Article(
            title="Relatives gather in Almaty",
            slug="relatives-gather-in-almaty",
            body="Dozens of relatives gathered outside the consulate in Almaty.",
        )
    )
    page = log_in(viewport)
    page.goto(f"{page.base}/admin/archive/article/{draft.pk}/change/")
    fits_the_screen(page)
    with page.expect_response(f"**{draft.get_absolute_url()}") as answer:
        page.get_by_role("link", name="Preview this draft at its future address").click()
    response = answer.value
    assert response.status == 200
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    expect(page.locator(".draft-preview")).to_contain_text("Draft preview — not published")
    expect(page.get_by_role("heading", level=1)).to_have_text(draft.title)
    expect(page.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
    fits_the_screen(page)

    assert reader.goto(reader.base + draft.get_absolute_url()).status == 404
    expect(reader.locator("body")).not_to_contain_text("Relatives gather")


def test_an_editor_sets_the_capture_date_of_an_article_added_by_hand(log_in, reader, bank):
    page = log_in()
    page.goto(f"{page.base}/admin/archive/article/")
    expect(page.locator("#result_list")).to_contain_text("11 July 2022")
    page.goto(f"{page.base}/admin/archive/article/{bank.pk}/change/")
    expect(page.locator("#id_published_on")).to_have_value("2022-07-11")
    page.locator("#id_captured_on").fill("2022-07-10")
    page.locator('input[name="_save"]').click()
    expect(page.locator(".errorlist")).to_contain_text("published on 11 July 2022")
    page.locator("#id_captured_on").fill("")
    page.locator("#id_captured_on ~ .datetimeshortcuts a", has_text="Today").click()
    today = datetime.datetime.now(datetime.UTC).date()
    expect(page.locator("#id_captured_on")).to_have_value(today.isoformat())
    page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    bank.refresh_from_db()
    assert bank.captured_at.date() == today
    written = f"{today:%-d %B %Y}"
    reader.goto(reader.base + bank.get_absolute_url())
    expect(reader.locator("section.record")).to_contain_text(f"Captured {written}")
    expect(reader.locator("#citation")).to_contain_text(f"(captured {written})")

    page.goto(f"{page.base}/admin/archive/article/{bank.pk}/history/")
    expect(page.locator("#change-history tbody tr")).to_have_count(2)
    expect(page.locator("#change-history")).to_contain_text(written)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_confirms_a_surname_the_tagger_only_offered(log_in, reader, bank, viewport):
    """ "Zair" alone is only a possible mention (it may be someone else): the editor reads
    it in its sentence and tags it; readers then see Kerim Zair linked there."""
    article = save_article(
        Article(
            title="The call",
            slug="the-call",
            status=Article.Status.PUBLISHED,
            body="The call came at night.\n\n"
            '"They knew my address," Zair said, and the police came again.',
        )
    )
    reader.goto(reader.base + article.get_absolute_url())
    expect(reader.locator("div.body a.entity", has_text="Zair")).to_have_count(0)
    page = log_in(viewport)
    open_tags_by_entity(page, article)
    possible = page.locator("section.possible-tags")
    expect(possible.locator("li")).to_have_count(1)
    expect(possible.locator("mark")).to_have_text("Zair")
    fits_the_screen(page)
    possible.get_by_role("button", name="Tag Kerim Zair at ¶2").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Kerim Zair tagged")
    expect(page.locator("section.possible-tags")).to_have_count(0)
    reader.goto(reader.base + article.get_absolute_url())
    expect(reader.locator("div.body a.entity", has_text="Zair")).to_have_count(1)
