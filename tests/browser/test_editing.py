"""Editors at work in the real admin, in Chromium: every save goes through the browser's own
form submission (CRLF line ends, select2 widgets, action forms), and each task is checked on
the public pages and in search afterwards."""

import io
from urllib.parse import quote_plus

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from archive.articles import save_article
from archive.models import Article, Entity, Mention, Quote

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEED_001 = "not-only-in-xinjiang-china-threatens-overseas-uighurs"


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


@pytest.fixture
def admin_page(editor_log_in, seeds):
    """A page logged in to the admin as a member of the Editors group, through the login form."""
    return editor_log_in()


def open_change_page(page, article):
    page.goto(f"{page.base}/admin/archive/article/{article.pk}/change/")
    expect(page.locator("#article_form")).to_be_visible()


def save(page):
    """Press Save and insist the admin accepted it (no "Please correct the errors below")."""
    page.locator('input[name="_save"]').click()
    page.wait_for_load_state()
    errors = page.locator(".errornote, .errorlist")
    assert errors.count() == 0, errors.all_inner_texts()
    expect(page.locator(".messagelist .success")).to_be_visible()


def search_titles(page, query, path="/search/"):
    page.goto(f"{page.base}{path}?q={quote_plus(query)}")
    return page.locator("li.hit a.summary-title").all_inner_texts()


def public_page(page, article):
    response = page.goto(page.base + article.get_absolute_url())
    return response.status


def test_every_seed_article_saves_unchanged(admin_page, reader):
    articles = list(Article.objects.order_by("pk"))
    assert len(articles) == 5
    before = {a.pk: (a.body, a.body_sha256, a.quotes.count(), a.mentions.count()) for a in articles}
    for article in articles:
        open_change_page(admin_page, article)
        save(admin_page)

    for article in Article.objects.order_by("pk"):
        assert (
            article.body,
            article.body_sha256,
            article.quotes.count(),
            article.mentions.count(),
        ) == before[article.pk], article.title
        assert article.history.count() == 2  # imported, then saved by the editor
        assert public_page(reader, article) == 200
        expect(reader.get_by_role("heading", level=1)).to_have_text(article.title)
        assert article.title in search_titles(reader, f'"{article.title}"')


def test_an_editor_adds_a_paragraph_with_a_quotation(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    paragraphs = len(article.paragraphs)
    open_change_page(admin_page, article)
    body = admin_page.locator("#id_body")
    added = (
        "“We will keep speaking about the camps, whatever they threaten,” said Kerim Zair, "
        "a teacher in Istanbul."
    )
    body.fill(body.input_value() + "\n\n" + added)
    save(admin_page)
    # The second save, of an article that now holds the new quotation, is accepted too.
    open_change_page(admin_page, article)
    save(admin_page)

    article.refresh_from_db()
    assert article.paragraphs[-1] == added and len(article.paragraphs) == paragraphs + 1
    quote = Quote.objects.get(article=article, text__contains="keep speaking about the camps")
    assert quote.paragraph == paragraphs + 1 and quote.speaker_name == "Kerim Zair"

    public_page(reader, article)
    expect(reader.locator(f"#p-{paragraphs + 1}")).to_contain_text("keep speaking about the camps")
    assert article.title in search_titles(reader, "keep speaking about the camps whatever")
    reader.goto(f"{reader.base}/quotes/?q=keep+speaking+about+the+camps")
    hit = reader.locator("li.hit.quote").first
    expect(hit.locator(".speaker")).to_contain_text("Kerim Zair")
    expect(hit.locator("a.snippet-link")).to_have_text(f"¶{paragraphs + 1}")


def quote_in_the_article(reader, words):
    """The article page's entry for the quote holding `words`: its ¶ link and the paragraph."""
    entry = reader.locator("section.article-quotes li.quote").filter(has_text=words)
    link = entry.locator("a.snippet-link")
    number = link.inner_text().removeprefix("¶")
    assert link.get_attribute("href") == f"#p-{number}"
    link.click()
    paragraph = reader.locator(f"#p-{number}")
    assert paragraph.evaluate("p => p.matches(':target')")
    expect(paragraph).to_contain_text(words)
    return number


def test_the_admin_numbers_paragraphs_as_readers_see_them(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    zair = Quote.objects.get(article=article, text__startswith="They requested that I work")
    admin_page.goto(f"{admin_page.base}/admin/archive/quote/?q={quote_plus('I rejected them')}")
    in_admin = admin_page.locator("#result_list tbody tr td.field-paragraph").inner_text()
    admin_page.goto(f"{admin_page.base}/admin/archive/quote/{zair.pk}/change/")
    expect(admin_page.locator("#id_paragraph")).to_have_value(in_admin)
    public_page(reader, article)
    assert quote_in_the_article(reader, "I rejected them") == in_admin == "7"

    # "detention camps" is in ¶6 and ¶9: the editor moves Xi Jinping's quote to the words in
    # ¶9, giving the number the reader sees.
    xi = Quote.objects.get(article=article, text="show absolutely no mercy")
    admin_page.goto(f"{admin_page.base}/admin/archive/quote/{xi.pk}/change/")
    expect(admin_page.locator("#id_paragraph")).to_have_value("9")
    admin_page.locator("#id_text").fill("detention camps")
    admin_page.locator("#id_paragraph").fill("9")
    save(admin_page)
    xi.refresh_from_db()
    assert (xi.text, xi.paragraph) == ("detention camps", 9)
    public_page(reader, article)
    assert quote_in_the_article(reader, "detention camps") == "9"

    # A number past the last paragraph is refused with the numbers there are.
    admin_page.goto(f"{admin_page.base}/admin/archive/quote/{xi.pk}/change/")
    admin_page.locator("#id_paragraph").fill(str(len(article.paragraphs) + 1))
    admin_page.locator('input[name="_save"]').click()
    expect(admin_page.locator(".errorlist")).to_contain_text(
        f"The article has {len(article.paragraphs)} paragraphs, numbered 1 to "
        f"{len(article.paragraphs)}."
    )


def test_a_new_article_with_a_quotation_is_added_then_saved_again(admin_page, reader):
    admin_page.goto(f"{admin_page.base}/admin/archive/article/add/")
    admin_page.locator("#id_title").fill("Relatives of detainees gather in Almaty")
    admin_page.locator("#id_status").select_option("published")
    admin_page.locator("#id_published_on").fill("2021-03-04")
    admin_page.locator("#id_body").fill(
        "Dozens of relatives gathered outside the consulate.\n\n"
        "“My brother has been gone for three years,” said one woman, holding his photograph."
    )
    save(admin_page)
    article = Article.objects.get(title="Relatives of detainees gather in Almaty")
    assert article.quotes.filter(text__contains="gone for three years").count() == 1

    open_change_page(admin_page, article)
    save(admin_page)
    open_change_page(admin_page, article)
    save(admin_page)
    assert public_page(reader, article) == 200
    assert article.title in search_titles(reader, "brother gone three years")


def choose_action(page, rows, action):
    for row in rows:
        page.locator(f'input[name="_selected_action"][value="{row}"]').check()
    page.locator('select[name="action"]').select_option(action)
    page.locator('button[name="index"]').first.click()
    page.wait_for_load_state()


def open_article_list(page, article, link):
    """From the article's form, follow one of the links to its tags or quotations."""
    open_change_page(page, article)
    page.get_by_role("link", name=link).click()
    page.wait_for_load_state()


def test_an_editor_rejects_a_wrong_tag(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    (mention,) = Mention.objects.filter(article=article, entity__slug="norway")
    assert article.title in search_titles(reader, "entity:norway")
    open_article_list(admin_page, article, "review or reject tags")
    expect(admin_page.locator("#result_list")).to_contain_text("Norway")
    expect(admin_page.locator("#result_list mark", has_text="Norway")).to_have_count(1)
    choose_action(admin_page, [mention.pk], "reject_tags")
    expect(admin_page.locator(".messagelist .success")).to_contain_text("1 tag(s) rejected")

    mention.refresh_from_db()
    assert mention.rejected
    # Saving the article re-tags it; the editor's decision is kept.
    open_change_page(admin_page, article)
    save(admin_page)
    assert Mention.objects.get(pk=mention.pk).rejected
    public_page(reader, article)
    expect(reader.locator("a.entity", has_text="Norway")).to_have_count(0)
    panel = reader.get_by_role("complementary", name="Named in this article")
    expect(panel.get_by_role("link", name="Norway")).to_have_count(0)
    assert article.title not in search_titles(reader, "entity:norway")


def test_an_editor_tags_an_article_by_hand(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    entity = Entity.objects.get(slug="safeguard-defenders")
    assert not article.mentions.filter(entity=entity).exists()
    assert article.title not in search_titles(reader, "entity:safeguard-defenders")

    open_change_page(admin_page, article)
    admin_page.get_by_role("link", name="add a tag by hand").click()
    expect(admin_page.locator("#mention_form")).to_be_visible()
    admin_page.locator(".field-entity .select2-selection").click()
    admin_page.locator(".select2-search__field").fill("Safeguard")
    admin_page.locator(".select2-results__option", has_text="Safeguard Defenders").click()
    save(admin_page)
    # Back on the article's own list of tags.
    expect(admin_page.locator("#result_list")).to_contain_text("(the whole article)")

    tag = article.mentions.get(entity=entity)
    assert tag.origin == Mention.Origin.EDITOR and not tag.rejected
    public_page(reader, article)
    panel = reader.get_by_role("complementary", name="Named in this article")
    expect(panel.get_by_role("link", name="Safeguard Defenders")).to_be_visible()
    reader.goto(reader.base + entity.get_absolute_url())
    expect(reader.get_by_role("link", name=article.title).first).to_be_visible()
    assert article.title in search_titles(reader, "entity:safeguard-defenders")


def test_an_editor_corrects_a_quotes_speaker(admin_page, reader):
    quote = Quote.objects.filter(rejected=False).select_related("article").order_by("pk").first()
    article = quote.article
    open_article_list(admin_page, article, "review quotations and speakers")
    admin_page.locator(f'tr:has(input[value="{quote.pk}"]) th a').click()
    admin_page.locator("#id_speaker_name").fill("A relative of the detainee")
    save(admin_page)

    quote.refresh_from_db()
    assert quote.speaker_name == "A relative of the detainee" and quote.speaker_corrected
    public_page(reader, article)
    expect(reader.locator("section.article-quotes")).to_contain_text("A relative of the detainee")
    words = " ".join(quote.text.split()[:6])
    reader.goto(f"{reader.base}/quotes/?q={quote_plus(words)}")
    expect(reader.locator("li.hit.quote .speaker").first).to_contain_text(
        "A relative of the detainee"
    )


def test_an_article_naming_hundreds_of_entities_saves(admin_page, reader):
    # As inline rows, every mention was seven form fields: past about 135 names a
    # browser's save went over Django's 1,000-field limit and was refused (400).
    seed = Article.objects.get(slug=SEED_001)
    long_read = save_article(
        Article(
            title="A long read on the camps",
            slug="a-long-read-on-the-camps",
            body="\n\n".join(seed.paragraphs * 8),
            status=Article.Status.PUBLISHED,
        )
    )
    assert long_read.mentions.count() > 300
    open_change_page(admin_page, long_read)
    expect(admin_page.locator("#article_form")).to_contain_text(
        f"{long_read.mentions.count()} tags of"
    )
    save(admin_page)
    open_change_page(admin_page, long_read)
    admin_page.locator("#id_title").fill("A long read on the camps, corrected")
    save(admin_page)
    long_read.refresh_from_db()
    assert long_read.title == "A long read on the camps, corrected"
    assert long_read.title in search_titles(reader, "long read corrected")


def test_an_editor_unpublishes_and_publishes_again(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    admin_page.goto(f"{admin_page.base}/admin/archive/article/")
    choose_action(admin_page, [article.pk], "unpublish")
    expect(admin_page.locator(".messagelist")).to_contain_text("1 article(s) now draft")
    assert public_page(reader, article) == 404
    assert article.title not in search_titles(reader, '"Not only in Xinjiang"')

    choose_action(admin_page, [article.pk], "publish")
    expect(admin_page.locator(".messagelist")).to_contain_text("1 article(s) now published")
    assert public_page(reader, article) == 200
    assert article.title in search_titles(reader, '"Not only in Xinjiang"')


def test_an_editor_merges_two_entities(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    keep = Entity.objects.get(slug="ata-jurt-eriktileri")
    double = Entity.objects.create(
        name="Atajurt Volunteers", slug="atajurt-volunteers", kind=Entity.Kind.ORGANISATION
    )
    Mention.objects.create(article=article, entity=double, origin=Mention.Origin.EDITOR)
    admin_page.goto(f"{admin_page.base}/admin/archive/entity/?q=jurt")
    choose_action(admin_page, [keep.pk, double.pk], "merge")
    admin_page.get_by_label(f"Keep {keep.name}").check()
    admin_page.get_by_role("button", name="Merge").click()
    expect(admin_page.locator(".messagelist")).to_contain_text(f"into {keep.name}")

    assert not Entity.objects.filter(pk=double.pk).exists()
    assert keep.aliases.filter(name="Atajurt Volunteers").exists()
    reader.goto(reader.base + "/entities/atajurt-volunteers/")
    assert reader.url.endswith(keep.get_absolute_url())
    expect(reader.get_by_role("link", name=article.title).first).to_be_visible()
    assert article.title in search_titles(reader, f"entity:{keep.slug}")


def test_an_editor_restores_an_earlier_version_from_history(admin_page, reader):
    article = Article.objects.get(slug=SEED_001)
    original_title = article.title
    open_change_page(admin_page, article)
    admin_page.locator("#id_title").fill("Vandalised headline about zeppelins")
    save(admin_page)
    assert "Vandalised headline about zeppelins" in search_titles(reader, "zeppelins")

    open_change_page(admin_page, article)
    admin_page.get_by_role("link", name="History").click()
    versions = admin_page.locator("#change-history tbody tr")
    expect(versions).to_have_count(2)
    versions.last.locator("a").first.click()  # the oldest version: as imported
    admin_page.locator('input[name="_save"][value="Revert"]').click()
    admin_page.wait_for_load_state()
    expect(admin_page.locator(".messagelist .success")).to_be_visible()

    article.refresh_from_db()
    assert article.title == original_title
    assert public_page(reader, article) == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text(original_title)
    assert search_titles(reader, "zeppelins") == []
    assert original_title in search_titles(reader, f'"{original_title}"')
    assert article.history.count() == 3  # imported, vandalised, restored: all kept
