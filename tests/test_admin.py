"""What an editor can do in the admin, and what no one can lose."""

import datetime
from urllib.parse import urlencode

import pytest
from admin_forms import form_data
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.editors import EDITORS_GROUP, editor_permission_codenames
from archive.models import Article, Entity, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return Article.objects.create(
        title="Uighur faces extradition from Turkey",
        slug="uighur-faces-extradition",
        body="Enver Turdi fled Xinjiang in 2014.\n\nThe request was accepted in 2017.",
        original_text="Enver Turdi fled Xinjiang in 2014. The request was accepted in 2017.",
        status=Article.Status.PUBLISHED,
        title_origin=Article.TitleOrigin.DERIVED,
    )


def change_url(article):
    return reverse("admin:archive_article_change", args=[article.pk])


def test_editors_group_has_exactly_the_documented_permissions():
    group = Group.objects.get(name=EDITORS_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == editor_permission_codenames()
    assert "delete_article" not in codenames
    assert {"merge_entity", "change_entity"} <= codenames and "delete_entity" not in codenames
    assert not any(c.endswith("_user") or c.endswith("_group") for c in codenames)


def test_anonymous_visitors_are_sent_to_the_login_page(client, article):
    response = client.get(change_url(article))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_editor_cannot_delete_articles_or_manage_users(client, editor, article):
    assert client.get(reverse("admin:archive_article_delete", args=[article.pk])).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_editor_adds_an_article_that_is_published_and_searchable(client, editor):
    source = Source.objects.create(name="Apple Daily", slug="apple-daily")
    data = form_data(
        Article(language="en", status=Article.Status.PUBLISHED, authors=""),
        title="Kazakhs protest outside the Chinese consulate",
        slug="kazakhs-protest",
        source=source.pk,
        published_on="2021-02-11",
        body="Relatives held photographs.\r\n\r\nPolice  detained four protesters.",
        version="",
    )
    response = client.post(reverse("admin:archive_article_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    article = Article.objects.get(slug="kazakhs-protest")
    assert article.title_origin == Article.TitleOrigin.EDITOR
    assert article.date_origin == Article.DateOrigin.EDITOR
    assert article.paragraphs == ["Relatives held photographs.", "Police detained four protesters."]
    # As typed; the CRLF line ends are the browser's, not the editor's.
    assert article.original_text == data["body"].replace("\r\n", "\n")
    assert article.history.count() == 1
    assert article.history.first().history_user == editor
    assert [r.pk for r in SearchQuerySet().models(Article).filter(content="photographs")] == [
        str(article.pk)
    ]


def test_a_body_over_the_size_limit_is_refused_on_the_body_and_nothing_saved(
    client, editor, article, settings
):
    limit = settings.ARCHIVE_MAX_ARTICLE_CHARS
    before = list(Article.objects.filter(pk=article.pk).values())
    body = ("Relatives said the detainees were moved. " * (limit // 40 + 1))[: limit + 1]
    response = client.post(change_url(article), form_data(article, body=body))
    assert response.status_code == 200  # the form again, with the editor's text in it
    errors = response.context["adminform"].form.errors
    assert errors["body"] == [
        f"The article text is {limit + 1:,} characters long; at most {limit:,} are allowed "
        "(ARCHIVE_MAX_ARTICLE_CHARS): split it into parts."
    ]
    assert list(Article.objects.filter(pk=article.pk).values()) == before
    assert article.history.count() == 1

    at_the_limit = form_data(article, body=body[:limit].strip())
    assert client.post(change_url(article), at_the_limit).status_code == 302


# Uyghur in Arabic script: two bytes a character in UTF-8, six once URL-encoded.
UYGHUR_PARAGRAPH = "ئۇيغۇرلار لاگېرغا ئېلىپ كېتىلدى، دېدى ئۇرۇق-تۇغقانلىرى. "


@pytest.mark.parametrize("over", [0, 1], ids=["at-the-limit", "one-over"])
def test_a_body_in_uyghur_script_near_the_limit_gets_an_answer_not_a_bad_request(
    client, editor, article, over
):
    limit = settings.ARCHIVE_MAX_ARTICLE_CHARS
    body = (UYGHUR_PARAGRAPH * (limit // len(UYGHUR_PARAGRAPH) + 1))[: limit + over].strip()
    body = body + "ا" * (limit + over - len(body))
    # URL-encoded, as a browser posts the change form (it has no file field).
    response = client.post(
        change_url(article),
        urlencode(form_data(article, body=body)),
        content_type="application/x-www-form-urlencoded",
    )
    if over:
        assert response.status_code == 200
        assert "characters long; at most" in response.content.decode()
    else:
        assert response.status_code == 302
        assert len(Article.objects.get(pk=article.pk).body) == limit


def test_an_edit_keeps_the_previous_text_in_history_and_can_be_reverted(client, editor, article):
    old_body = article.body
    response = client.post(change_url(article), form_data(article, body="Vandalised."))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "Vandalised."
    assert article.title_origin == Article.TitleOrigin.DERIVED  # title untouched

    history = list(article.history.order_by("history_date"))
    assert [h.body for h in history] == [old_body, "Vandalised."]
    assert history[-1].history_user == editor

    # The history page lists both versions; the revert page shows the old text.
    history_page = client.get(reverse("admin:archive_article_history", args=[article.pk]))
    assert history_page.status_code == 200
    revert_url = reverse(
        "admin:archive_article_simple_history", args=[article.pk, history[0].history_id]
    )
    revert_page = client.get(revert_url)
    assert old_body.split("\n\n")[0] in revert_page.content.decode()

    old = history[0].instance
    response = client.post(revert_url, form_data(old))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == old_body
    assert article.history.count() == 3  # the revert is itself a revision


@pytest.mark.django_db(transaction=True)
def test_a_text_restored_from_the_history_is_tagged_and_searched_again(client, editor, article):
    turdi = Entity.objects.create(name="Enver Turdi", slug="enver-turdi", kind=Entity.Kind.PERSON)
    client.post(change_url(article), form_data(article))
    assert named_in_search(turdi) == [article.pk]
    article.refresh_from_db()
    client.post(change_url(article), form_data(article, body="Vandalised."))
    assert not article.mentions.exists()
    assert named_in_search(turdi) == []

    before = article.history.order_by("history_date").first()
    revert_url = reverse(
        "admin:archive_article_simple_history", args=[article.pk, before.history_id]
    )
    assert client.post(revert_url, form_data(before.instance)).status_code == 302
    assert [m.surface for m in article.mentions.all()] == ["Enver Turdi"]
    assert named_in_search(turdi) == [article.pk]


def named_in_search(entity):
    return [int(result.pk) for result in SearchQuerySet().filter(entities=str(entity.pk))]


@pytest.mark.django_db(transaction=True)
def test_an_article_deleted_in_the_admin_is_no_longer_found(admin_client, article):
    other = save_article(
        Article(title="Second", slug="second", body="Turdi again.", status="published")
    )
    save_article(article)
    assert SearchQuerySet().filter(content="Turdi").count() == 2
    delete_url = reverse("admin:archive_article_delete", args=[article.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert [r.pk for r in SearchQuerySet().filter(content="Turdi")] == [str(other.pk)]

    admin_client.post(
        reverse("admin:archive_article_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert not Article.objects.exists()
    assert SearchQuerySet().filter(content="Turdi").count() == 0


def test_changing_the_title_marks_it_as_written_by_an_editor(client, editor, article):
    client.post(change_url(article), form_data(article, title="A better title"))
    article.refresh_from_db()
    assert article.title == "A better title"
    assert article.title_origin == Article.TitleOrigin.EDITOR


def test_a_stale_form_is_refused_and_keeps_the_editors_text(client, editor, article):
    stale = form_data(article, body="My careful correction.")
    article.body = "Someone else's edit."
    article.save()

    response = client.post(change_url(article), stale)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved this article after you opened it" in page
    assert "My careful correction." in page
    article.refresh_from_db()
    assert article.body == "Someone else&#x27;s edit.".replace("&#x27;", "'")


def test_bad_input_in_the_form_gets_a_message_not_an_error(client, editor, article):
    response = client.post(
        change_url(article), form_data(article, published_on="2020-02-30", original_url="nope")
    )
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert "Enter a valid URL." in response.content.decode()
    article.refresh_from_db()
    assert article.published_on is None


@pytest.mark.django_db(transaction=True)
def test_unpublish_action_hides_the_article_and_removes_it_from_search(client, editor, article):
    save_article(article)  # index it (transactional test: on_commit fires)
    assert SearchQuerySet().models(Article).filter(content="Turdi").count() == 1
    client.post(
        reverse("admin:archive_article_changelist"),
        {"action": "unpublish", "_selected_action": [article.pk]},
    )
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert SearchQuerySet().models(Article).filter(content="Turdi").count() == 0
    assert article.history.first().history_user == editor


def test_year_filter_offers_undated_articles(client, editor, article):
    Article.objects.create(
        title="Dated", slug="dated", body="x", published_on=datetime.date(2020, 5, 21)
    )
    changelist = reverse("admin:archive_article_changelist")
    page = client.get(changelist).content.decode()
    assert "Date unknown" in page and "2020" in page
    undated = client.get(changelist, {"year": "unknown"}).context["cl"].result_list
    assert [a.slug for a in undated] == ["uighur-faces-extradition"]
    bogus = client.get(changelist, {"year": "nineteen"})
    assert bogus.status_code == 200


def test_demo_editor_command_prints_a_password_that_works(client, capsys):
    call_command("create_demo_editor")
    output = capsys.readouterr().out
    password = output.split("password '")[1].split("'")[0]
    user = User.objects.get(username="editor")
    assert user.groups.filter(name=EDITORS_GROUP).exists()
    assert client.login(username="editor", password=password)
    assert client.get(reverse("admin:archive_article_add")).status_code == 200


def test_control_characters_typed_or_pasted_are_dropped_and_feeds_still_answer(
    client, editor, article
):
    # An escape pasted from a terminal, a backspace from a word processor:
    # invisible, and any one of them in a title made every Atom feed answer 500.
    response = client.post(
        change_url(article),
        form_data(
            article,
            title="Uighur\x1b faces\x08 extradition\x01 from Turkey",
            authors="Staff\x07 reporter",
            body="Enver Turdi\x0b fled Xinjiang.\x7f\n\nThe request was accepted.",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert article.title == "Uighur faces extradition from Turkey"
    assert article.authors == "Staff reporter"
    assert article.paragraphs == ["Enver Turdi fled Xinjiang.", "The request was accepted."]
    for feed in ("/feeds/latest/", "/feeds/search/?q=extradition"):
        assert client.get(feed).status_code == 200


def test_a_textarea_saved_unchanged_from_a_browser_changes_nothing(client, editor, article):
    # Browsers send CRLF line ends; the stored text, its hash and paragraphs stay.
    before = (article.body, article.body_sha256, article.paragraphs)
    response = client.post(change_url(article), form_data(article))
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert (article.body, article.body_sha256, article.paragraphs) == before
