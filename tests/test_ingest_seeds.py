"""Importing the seed articles keeps every stated fact, invents none, and drops the page around."""

import datetime
import re

import pytest

from archive.ingest.importer import import_paths
from archive.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds(seed_dir):
    report = import_paths([seed_dir])
    assert report.summary == "5 new, 0 unchanged, 0 updated"
    assert not report.failed
    return {a.external_id[:3]: a for a in Article.objects.all()}


def seed_line(seed_dir, number, start):
    """The line of seed `number` that begins with `start` (after any " date" prefix), collapsed."""
    (path,) = seed_dir.glob(f"{number}_*.txt")
    lines = [
        re.sub(r"^date \S+ ", "", " ".join(line.split()))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    (line,) = [line for line in lines if line.startswith(start)]
    return line


def test_titles_stated_in_the_text_are_kept_and_missing_ones_derived_from_the_lead(seeds):
    assert seeds["001"].title == "Not only in Xinjiang, China threatens overseas Uighurs"
    assert seeds["003"].title == "China Spying on Uyghur Muslims Living in Turkey"
    assert seeds["004"].title == (
        "After Leaks Give Info On Uighur Muslim Detention Camps, China Destroys Its Evidence "
        "And Records"
    )
    for number in ("001", "003", "004"):
        assert seeds[number].title_origin == Article.TitleOrigin.STATED
    assert seeds["000"].title == (
        "The Chinese government issued an extradition request for a Uighur who fled to Turkey "
        "and have…"
    )
    assert seeds["002"].title == (
        "Dozens of people converged this week outside China’s embassies in Turkey and "
        "Kazakhstan, demanding…"
    )
    for number in ("000", "002"):
        assert seeds[number].title_origin == Article.TitleOrigin.DERIVED
        assert len(seeds[number].title) <= 100


def test_dates_come_from_the_date_line_or_the_text_and_are_otherwise_unknown(seeds):
    assert seeds["000"].published_on == datetime.date(2020, 5, 21)
    assert seeds["000"].date_origin == Article.DateOrigin.METADATA
    assert seeds["001"].published_on == datetime.date(2020, 6, 17)
    assert seeds["001"].date_origin == Article.DateOrigin.TEXT
    assert seeds["002"].published_on == datetime.date(2021, 2, 10)
    assert seeds["002"].date_origin == Article.DateOrigin.METADATA
    for number in ("003", "004"):
        assert seeds[number].published_on is None
        assert seeds[number].date_origin == ""


def test_no_seed_gets_a_publisher_it_does_not_state(seeds):
    # Seed 000 cites Axios and the BBC as sources of information, not as its publisher.
    assert [a.source for a in seeds.values()] == [None] * 5
    assert [a.original_url for a in seeds.values()] == [None] * 5
    assert [a.authors for a in seeds.values()] == [""] * 5


def test_originals_are_kept_byte_for_byte(seeds, seed_paths):
    for path in seed_paths:
        article = seeds[path.name[:3]]
        assert article.original_text.encode("utf-8") == path.read_bytes()
        assert article.external_id == path.name


def test_imported_articles_are_published_with_capture_time_and_history(seeds):
    for article in seeds.values():
        assert article.status == Article.Status.PUBLISHED
        assert article.captured_at is not None
        assert article.language == "en"
        (record,) = article.history.all()
        assert record.history_type == "+"
        assert record.history_change_reason.startswith("Imported from ")
        assert record.body == article.body


def test_the_date_line_and_headline_are_not_part_of_the_body(seeds, seed_dir):
    first = seeds["000"].paragraphs[0]
    assert first.startswith("The Chinese government issued an extradition request")
    assert "date" not in first[:10] and "2020-05-21" not in seeds["000"].body
    assert seeds["001"].paragraphs[0] == seed_line(seed_dir, "001", "Washington DC [USA]")
    assert "Jun 17, 2020" not in seeds["001"].body
    assert seeds["004"].title not in seeds["004"].body


@pytest.mark.parametrize(
    "number, count, first, last",
    [
        ("000", 10, "The Chinese government issued", "China has repeatedly denied"),
        ("001", 10, "Washington DC [USA], June 17", "Over 400 pages of documents"),
        ("002", 13, "Dozens of people converged", "Bilash further said"),
        ("003", 10, "According to a new report by the NGO", "Safeguard Defenders has once again"),
        ("004", 8, "According to sources and estimation", "And a couple weeks ago"),
    ],
)
def test_first_and_last_paragraphs(seeds, seed_dir, number, count, first, last):
    paragraphs = seeds[number].paragraphs
    assert len(paragraphs) == count
    assert paragraphs[0] == seed_line(seed_dir, number, first)
    assert paragraphs[-1] == seed_line(seed_dir, number, last)


def test_seed_001_has_one_paragraph_per_line(seeds, seed_dir):
    assert seeds["001"].paragraphs[1] == seed_line(seed_dir, "001", "According to the Hill")
    assert seeds["001"].paragraphs[6] == seed_line(seed_dir, "001", "Kerim Zair, a Uighur")


def test_page_boilerplate_and_the_second_article_are_removed_from_seed_003(seeds):
    body = seeds["003"].body
    for boilerplate in (
        "Connect with us",
        "Published",
        "ughyurs scaled",
        "You may like",
        "Continue Reading",
        "Click to comment",
        "Leave a Reply",
        "Your email address",
        "Trending",
    ):
        assert boilerplate not in body
    assert "fentanyl" not in body.lower()
    assert "Biden" not in body
    # "China", the category label, is not a paragraph; the sub-headings are.
    assert "China" not in seeds["003"].paragraphs
    assert seeds["003"].paragraphs[1] == "How the CCP Organized Its Surveillance Regime"
    assert "The CCP’s Political and Other Pressure" in seeds["003"].paragraphs


def test_comment_form_and_like_button_are_removed_from_seed_004(seeds):
    assert "Leave a Reply" not in seeds["004"].body
    assert "bloggers like this" not in seeds["004"].body
    assert seeds["004"].paragraphs[-1].endswith("Beijing denounced it as foreign meddling.")


def test_body_is_stored_normalised_with_matching_hashes(seeds):
    for article in seeds.values():
        stored = Article.objects.get(pk=article.pk)
        body_sha256, original_sha256 = stored.body_sha256, stored.original_sha256
        stored.save()  # what an editor's save computes must be what the import stored
        assert (stored.body_sha256, stored.original_sha256) == (body_sha256, original_sha256)
        assert "\n\n\n" not in stored.body and "\u00a0" not in stored.body


def test_slugs_are_readable_from_the_titles(seeds):
    assert seeds["003"].slug == "china-spying-on-uyghur-muslims-living-in-turkey"
    assert seeds["000"].slug.startswith("the-chinese-government-issued-an-extradition")
    assert all(len(a.slug) <= 80 for a in seeds.values())
