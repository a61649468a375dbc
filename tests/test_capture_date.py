"""Editors date the capture of an article added by hand; the date is checked, kept in history,
shown on the article's page and in its citation. Dates are written one way everywhere: 1 December
2026, or 2026-12-01 where a field holds one; never 05/03/2021."""

import datetime

import pytest
from admin_forms import form_data
from django.urls import reverse
from django.utils import timezone

from archive.articles import save_article
from archive.capture import capture_date_problem
from archive.models import Article

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


@pytest.fixture
def typed_in():
    """An article an editor typed in: published, no capture recorded."""
    return save_article(
        Article(
            title="Relatives gather in Almaty",
            slug="relatives-gather-in-almaty",
            body="Dozens of relatives gathered outside the consulate in Almaty.",
            published_on=datetime.date(2021, 3, 5),
            status=Article.Status.PUBLISHED,
        )
    )


def change(client, article, **fields):
    article.refresh_from_db()
    return client.post(
        reverse("admin:archive_article_change", args=[article.pk]), form_data(article, **fields)
    )


def test_an_editor_sets_the_capture_date_and_history_records_it(client, editor, typed_in):
    page = client.get(typed_in.get_absolute_url()).content.decode()
    assert "not recorded" in page and "(captured" not in page

    response = change(client, typed_in, captured_on="2021-03-08")
    assert response.status_code == 302, response.content.decode()[:3000]
    typed_in.refresh_from_db()
    assert timezone.localdate(typed_in.captured_at) == datetime.date(2021, 3, 8)
    latest, before = typed_in.history.all()[:2]
    assert before.captured_at is None
    assert timezone.localdate(latest.captured_at) == datetime.date(2021, 3, 8)
    assert latest.history_user == editor

    page = client.get(typed_in.get_absolute_url()).content.decode()
    assert '<time datetime="2021-03-08T00:00:00+00:00">8 March 2021</time>' in page
    assert "(captured 8 March 2021)" in page  # the citation

    # The history's list names the day in words.
    history = client.get(
        reverse("admin:archive_article_history", args=[typed_in.pk])
    ).content.decode()
    assert timezone.localdate(latest.history_date).strftime("%-d %B %Y") in history


@pytest.mark.parametrize(
    ("captured", "message"),
    [
        ("2999-01-01", "A capture date cannot be in the future"),
        ("2021-03-04", "The article was published on 5 March 2021: a copy cannot have been"),
        ("05/03/2021", "Enter a valid date."),
    ],
)
def test_an_impossible_or_ambiguous_capture_date_is_refused(
    client, editor, typed_in, captured, message
):
    response = change(client, typed_in, captured_on=captured)
    assert response.status_code == 200
    assert message in response.content.decode()
    typed_in.refresh_from_db()
    assert typed_in.captured_at is None


def test_the_capture_rules():
    published = datetime.date(2021, 3, 5)
    assert capture_date_problem(published, published, TODAY) is None  # the same day
    assert capture_date_problem(TODAY, None, TODAY) is None
    assert "future" in capture_date_problem(TODAY + datetime.timedelta(days=1), None, TODAY)
    assert "today is 1 December 2026" in capture_date_problem(
        datetime.date(2027, 1, 1), None, TODAY
    )
    assert capture_date_problem(None, published, TODAY) is None


def test_an_unchanged_capture_day_keeps_the_imports_time(client, editor, typed_in):
    moment = timezone.make_aware(datetime.datetime(2024, 5, 3, 14, 22))
    Article.objects.filter(pk=typed_in.pk).update(captured_at=moment)
    assert change(client, typed_in, title="Relatives gather in Almaty again").status_code == 302
    typed_in.refresh_from_db()
    assert typed_in.captured_at == moment
    # Cleared by the editor: no capture recorded.
    assert change(client, typed_in, captured_on="").status_code == 302
    typed_in.refresh_from_db()
    assert typed_in.captured_at is None


def test_the_admin_writes_dates_unambiguously(client, editor, typed_in):
    listing = client.get(reverse("admin:archive_article_changelist")).content.decode()
    assert "5 March 2021" in listing
    assert "05/03/2021" not in listing and "March 5" not in listing
    form = client.get(reverse("admin:archive_article_change", args=[typed_in.pk])).content.decode()
    assert 'name="published_on" value="2021-03-05"' in form
    history = client.get(reverse("admin:archive_article_history", args=[typed_in.pk]))
    when = timezone.localtime(typed_in.history.first().history_date)
    assert f"{when:%-d %B %Y}, {when:%H:%M}" in history.content.decode()
    # The calendar's script writes the date it is given in the same form.
    catalog = client.get(reverse("admin:jsi18n")).content.decode()
    first_format = catalog.split('"DATE_INPUT_FORMATS": [')[1].split(",")[0].strip()
    assert first_format == '"%Y-%m-%d"'
