"""What changed between two captures: the paragraphs edited, removed and added, with the words
marked, on a page readers reach from the article's list of captures."""

import io

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import call_command
from lxml import html as lxml_html

from archive.models import Article
from archive.webcapture.changes import WORDS_COMPARED_AT_MOST, text_changes


def test_an_edited_paragraph_marks_only_its_changed_words():
    changes = text_changes(
        "One two.\nThe protest was the third this month.\nEnd.",
        "One two.\nThe protest was the fourth this month.\nEnd.",
    )
    assert [p.change for p in changes.paragraphs] == ["same", "edited", "same"]
    edited = changes.paragraphs[1]
    assert (edited.before_number, edited.after_number) == (2, 2)
    assert [(piece.text, piece.change) for piece in edited.pieces] == [
        ("The protest was the", ""),
        ("third", "removed"),
        ("fourth", "added"),
        ("this month.", ""),
    ]
    assert changes.counts == {"removed": 0, "added": 0, "edited": 1, "same": 2}


def test_paragraphs_removed_and_added_keep_their_own_numbers():
    changes = text_changes(
        "A first.\nA second one here.\nA third.",
        "A first.\nA third.\nAn entirely new closing paragraph, unlike any.",
    )
    kinds = [(p.change, p.before_number, p.after_number) for p in changes.paragraphs]
    assert kinds == [("same", 1, 1), ("removed", 2, None), ("same", 3, 2), ("added", None, 3)]
    assert not changes.identical
    assert text_changes("Same.\n\nText.", "Same.\nText.").identical  # blank lines are not text


def test_a_rewritten_paragraph_is_shown_removed_and_added_not_word_by_word():
    changes = text_changes(
        "Officials denied every report of the camps.", "A court in Almaty heard the case on Monday."
    )
    assert [p.change for p in changes.paragraphs] == ["removed", "added"]


def test_a_huge_paragraph_is_not_compared_word_by_word():
    words = " ".join(f"w{i}" for i in range(WORDS_COMPARED_AT_MOST))
    changes = text_changes(words, words + " more")
    assert [p.change for p in changes.paragraphs] == ["removed", "added"]


@pytest.mark.django_db
@pytest.mark.usefixtures("captures_allowed_on_loopback")
def test_readers_see_what_changed_between_two_captures(client, site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    call_command("capture", url, stdout=io.StringIO(), stderr=io.StringIO())
    site.page("/story", ARTICLE.replace("third this month", "fourth <b>this</b> month"))
    call_command("capture", url, stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get()
    first, second = article.captures.order_by("fetched_at", "pk")
    page = client.get(article.get_absolute_url()).content.decode()
    changes_url = f"/articles/{article.slug}/captures/{second.pk}/changes/"
    assert f'href="{changes_url}"' in page
    assert f"/captures/{first.pk}/changes/" not in page  # the first has nothing before it

    response = client.get(changes_url)
    assert response.status_code == 200
    tree = lxml_html.document_fromstring(response.content)
    assert [d.text_content() for d in tree.xpath("//ol[@class='changes']//del")] == ["third"]
    assert [i.text_content() for i in tree.xpath("//ol[@class='changes']//ins")] == ["fourth"]
    assert "1 paragraph edited, 0 removed, 0 added" in tree.text_content()
    links = tree.xpath("//header//a/@href")
    assert first.get_absolute_url() in links and second.get_absolute_url() in links
    assert client.get(f"/articles/{article.slug}/captures/{first.pk}/changes/").status_code == 404
    as_json = client.get(f"/api/articles/{article.slug}").json()["captures"]
    assert [entry["changes"] for entry in as_json] == [None, f"http://testserver{changes_url}"]


@pytest.mark.django_db
@pytest.mark.usefixtures("captures_allowed_on_loopback")
def test_the_changes_of_a_drafts_captures_are_not_found_for_readers(client, site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    call_command("capture", "--draft", url, stdout=io.StringIO(), stderr=io.StringIO())
    call_command("capture", url, stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get()
    second = article.captures.order_by("fetched_at", "pk").last()
    assert client.get(f"/articles/{article.slug}/captures/{second.pk}/changes/").status_code == 404
