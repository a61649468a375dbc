"""Editors correct quotes in the admin: speaker, rejection, added, merged and split quotes all
survive re-extraction."""

import io

import pytest
from admin_forms import as_textarea, form_data
from django.core.management import call_command
from django.urls import reverse

from archive.models import Article, Entity, Quote
from archive.paragraphs import paragraph_text
from archive.quotes.records import update_quotes

pytestmark = pytest.mark.django_db

JAILED_MAN_SLUG = "after-leaks-give-info-on-uighur-muslim-detention-camps-china-destroys-its"
NOTICE = (
    'Officials handed out a notice saying "all residents must register with the police at once" '
    "to every family in the district."
)


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def notice():
    article = Article.objects.create(
        title="A notice", slug="a-notice", body=NOTICE, status=Article.Status.PUBLISHED
    )
    update_quotes(article)
    return article


def quote_form(quote, **changes):
    """A quote's change form as a browser posts it (the text a textarea: CRLF line ends)."""
    data = {
        "text": as_textarea(quote.text),
        "paragraph": quote.paragraph,
        "speaker_name": quote.speaker_name,
        "speaker": quote.speaker_id or "",
    }
    if quote.rejected:
        data["rejected"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}


def post_quote(client, quote, data, capture):
    url = reverse("admin:archive_quote_change", args=[quote.pk])
    with capture(execute=True):
        return client.post(url, data)


def add_quote(client, article, data, capture):
    with capture(execute=True):
        return client.post(reverse("admin:archive_quote_add"), {"article": article.pk, **data})


def test_the_article_form_links_to_its_quotes(admin_client, seeds):
    article = Article.objects.get(slug=JAILED_MAN_SLUG)
    page = admin_client.get(reverse("admin:archive_article_change", args=[article.pk]))
    assert page.status_code == 200
    assert "1 quotation, 0 rejected" in page.content.decode()
    listed = admin_client.get(
        reverse("admin:archive_quote_changelist"), {"article__id__exact": article.pk}
    )
    assert "It’s an old matter" in listed.content.decode()
    assert f"Quotations of “{article.title}”" in listed.content.decode()


def test_a_corrected_speaker_survives_saving_and_re_extraction(
    admin_client, seeds, django_capture_on_commit_callbacks
):
    article = Article.objects.get(slug=JAILED_MAN_SLUG)
    quote = article.quotes.get()
    assert quote.speaker_name == ""  # the extractor does not guess
    described = "another Uighur who was jailed in Xinjiang for years"
    data = quote_form(quote, speaker_name=described)
    response = post_quote(admin_client, quote, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302, response.content.decode()[:3000]

    quote.refresh_from_db()
    assert (quote.speaker_name, quote.speaker_corrected) == (described, True)
    assert quote.origin == Quote.Origin.EXTRACTED  # same words, only the speaker is the editor's
    # Saving the article (its text re-read) and re-extracting keep the correction.
    change = reverse("admin:archive_article_change", args=[article.pk])
    admin_client.post(change, form_data(article))
    call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())
    quote.refresh_from_db()
    assert quote.speaker_name == described
    assert article.quotes.count() == 1


def test_a_speaker_entity_chosen_by_an_editor_survives(admin_client, notice):
    quote = notice.quotes.get()
    ministry = Entity.objects.create(name="Ministry of Examples", slug="moe", kind="organisation")
    url = reverse("admin:archive_quote_change", args=[quote.pk])
    data = {
        "text": quote.text,
        "paragraph": quote.paragraph,
        "speaker_name": "",
        "speaker": ministry.pk,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    update_quotes(notice)
    quote.refresh_from_db()
    assert (quote.speaker, quote.speaker_name) == (ministry, "Ministry of Examples")


def test_a_rejected_quote_stays_rejected(admin_client, notice, django_capture_on_commit_callbacks):
    quote = notice.quotes.get()
    data = quote_form(quote, rejected="on")
    post_quote(admin_client, quote, data, django_capture_on_commit_callbacks)
    update_quotes(notice)
    assert list(notice.quotes.values_list("rejected", flat=True)) == [True]


def test_an_editor_adds_a_quote_by_pasting_its_words(
    admin_client, notice, django_capture_on_commit_callbacks
):
    notice.quotes.all().delete()
    new = {"text": "“to every family\r\nin the district”", "paragraph": "", "speaker_name": ""}
    response = add_quote(admin_client, notice, new, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    added = notice.quotes.get(origin=Quote.Origin.EDITOR)
    assert added.text == "to every family in the district"
    assert added.paragraph == 1
    assert notice.paragraphs[0][added.start : added.end] == added.text


def test_words_not_in_the_article_get_a_message_not_an_error(admin_client, notice):
    data = {"article": notice.pk, "text": "words nobody wrote here", "paragraph": ""}
    response = admin_client.post(reverse("admin:archive_quote_add"), data)
    assert response.status_code == 200
    assert "These words are not in the article" in response.content.decode()


def merge_two(admin_client, quotes):
    url = reverse("admin:archive_quote_changelist")
    action = {"action": "merge_quotes", "_selected_action": [q.pk for q in quotes]}
    return admin_client.post(url, action, follow=True)


def test_two_neighbouring_quotes_are_merged_and_stay_merged(admin_client, db):
    article = Article.objects.create(
        title="Two parts",
        slug="two-parts",
        body='"We asked for news of him," John Doe said. "Nobody ever answered our letters."',
        status=Article.Status.PUBLISHED,
    )
    update_quotes(article)
    first, second = article.quotes.order_by("start")
    response = merge_two(admin_client, [first, second])
    assert "Merged into one quote" in response.content.decode()
    (merged,) = article.quotes.all()
    assert merged.text.startswith("We asked") and merged.text.endswith("our letters.")
    assert (merged.origin, merged.speaker_name) == (Quote.Origin.EDITOR, "John Doe")
    update_quotes(article)
    assert list(article.quotes.values_list("pk", flat=True)) == [merged.pk]


def test_quotes_of_different_articles_are_not_merged(admin_client, seeds, notice):
    quotes = [notice.quotes.get(), Quote.objects.exclude(article=notice).first()]
    response = merge_two(admin_client, quotes)
    assert "Only two quotes of the same paragraph can be merged" in response.content.decode()
    assert Quote.objects.filter(pk__in=[q.pk for q in quotes]).count() == 2


def test_a_quote_is_split_where_the_editor_says_and_stays_split(admin_client, seeds):
    article = Article.objects.get(slug=JAILED_MAN_SLUG)
    quote = article.quotes.get()
    url = reverse("admin:archive_quote_changelist")
    action = {"action": "split_quote", "_selected_action": [quote.pk]}
    form = admin_client.post(url, action)
    assert "The second quote starts with the words" in form.content.decode()

    done = admin_client.post(url, {**action, "second_starts_with": "The fact that"}, follow=True)
    assert "Split into" in done.content.decode()
    first, second = article.quotes.order_by("start")
    assert first.text.endswith("for a long time.")
    assert second.text.startswith("The fact that they suddenly want this now")
    for part in (first, second):
        written = paragraph_text(article.paragraphs, part.paragraph)
        assert written[part.start : part.end] == part.text
        assert part.origin == Quote.Origin.EDITOR
    call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())
    assert article.quotes.count() == 2


def test_a_split_at_words_not_in_the_quote_is_explained(admin_client, seeds):
    quote = Quote.objects.first()
    url = reverse("admin:archive_quote_changelist")
    action = {"action": "split_quote", "_selected_action": [quote.pk], "second_starts_with": "zz"}
    response = admin_client.post(url, action)
    assert "Give the words that start the second part" in response.content.decode()
    assert Quote.objects.filter(pk=quote.pk).exists()


def test_the_quote_list_searches_and_filters_by_speaker(admin_client, seeds):
    zair = Entity.objects.get(name="Kerim Zair")
    url = reverse("admin:archive_quote_changelist")
    page = admin_client.get(url, {"speaker__id__exact": zair.pk}).content.decode()
    assert "They requested that I work for them" in page
    assert "Today is the 1,049th day" not in page
    page = admin_client.get(url, {"q": "1,049th"}).content.decode()
    assert "Today is the 1,049th day" in page


def test_the_reject_action_drops_quotes(admin_client, notice):
    quote = notice.quotes.get()
    url = reverse("admin:archive_quote_changelist")
    admin_client.post(url, {"action": "reject_quotes", "_selected_action": [quote.pk]})
    quote.refresh_from_db()
    assert quote.rejected
    assert quote.history.first().rejected  # kept in history


# Paragraph numbers as readers see them: ¶1 is the first paragraph, in the admin too


def test_the_quote_list_gives_the_paragraph_number_readers_see(admin_client, seeds, client):
    quote = Quote.objects.get(text__startswith="They requested that I work")
    listed = admin_client.get(reverse("admin:archive_quote_changelist"), {"q": "I rejected them"})
    assert '<td class="field-paragraph">7</td>' in listed.content.decode()
    page = client.get(quote.article.get_absolute_url()).content.decode()
    # ¶7 on the article's page holds the quote's words, and its list of quotes links there.
    assert "I rejected them" in page.split('<p id="p-7">')[1].split("</p>")[0]
    assert 'aria-label="Paragraph 7">¶7</a>' in page


TWO_NOTICES = f"{NOTICE}\n\nA week later a second notice said the same: {NOTICE}"


def test_an_editor_places_a_quote_by_the_paragraph_number_readers_see(
    admin_client, db, django_capture_on_commit_callbacks
):
    article = Article.objects.create(
        title="Two notices", slug="two-notices", body=TWO_NOTICES, status=Article.Status.PUBLISHED
    )
    words = {"text": "to every family in the district", "speaker_name": ""}
    response = add_quote(
        admin_client, article, {**words, "paragraph": 2}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    added = article.quotes.get(origin=Quote.Origin.EDITOR)
    assert added.paragraph == 2 and article.paragraphs[1].endswith(added.text + ".")
    assert added.start > len(NOTICE)  # the second paragraph's words, not the first's

    response = admin_client.post(
        reverse("admin:archive_quote_add"), {"article": article.pk, **words, "paragraph": 3}
    )
    assert "The article has 2 paragraphs, numbered 1 to 2." in response.content.decode()
    response = admin_client.post(
        reverse("admin:archive_quote_add"), {"article": article.pk, **words, "paragraph": 0}
    )
    assert response.status_code == 200 and not article.quotes.filter(paragraph=0).exists()
