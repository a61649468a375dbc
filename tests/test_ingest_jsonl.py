"""JSON Lines files in the common corpus schema, plain or gzipped, alone or in directories."""

import datetime
import gzip
import json

import pytest

from archive.ingest.importer import import_paths
from archive.ingest.jsonl import read_jsonl
from archive.models import Article, Source

pytestmark = pytest.mark.django_db


def record(n=1, **fields):
    return {
        "id": f"report-{n}",
        "source": "Radio Free Asia",
        "title": f"Uyghur scholar number {n} detained",
        "date": "2019-03-04T09:30:00+08:00",
        "url": f"https://www.rfa.org/english/news/uyghur/scholar-{n}.html",
        "author": "Shohret Hoshur",
        "body": f"Scholar number {n} was detained in Kashgar.\n\nHis family has had no news.",
        **fields,
    }


def write_jsonl(path, records):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as stream:
            stream.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_record_becomes_a_published_article_with_every_stated_fact(tmp_path):
    path = write_jsonl(tmp_path / "rfa.jsonl", [record(extra="kept in the original")])
    report = import_paths([path])
    assert report.summary == "1 new, 0 unchanged, 0 updated"
    article = Article.objects.get()
    assert article.title == "Uyghur scholar number 1 detained"
    assert article.title_origin == Article.TitleOrigin.STATED
    assert article.published_on == datetime.date(2019, 3, 4)
    assert article.date_origin == Article.DateOrigin.METADATA
    assert article.original_url == "https://www.rfa.org/english/news/uyghur/scholar-1.html"
    assert article.authors == "Shohret Hoshur"
    assert article.source.name == "Radio Free Asia"
    assert article.source.slug == "radio-free-asia"
    assert article.external_id == "report-1"
    assert article.language == "en"
    assert article.status == Article.Status.PUBLISHED
    assert article.paragraphs == [
        "Scholar number 1 was detained in Kashgar.",
        "His family has had no news.",
    ]
    assert article.original_text == path.read_text(encoding="utf-8").rstrip("\n")
    assert article.history.get().history_type == "+"


def test_the_stated_calendar_date_is_kept_even_when_utc_is_another_day(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(date="2006-10-20T22:25:00-04:00")])
    import_paths([path])
    assert Article.objects.get().published_on == datetime.date(2006, 10, 20)


def test_null_values_stay_unknown_and_a_missing_title_is_derived(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [record(id=None, source=None, title=None, date=None, url=None, author=None)],
    )
    import_paths([path])
    article = Article.objects.get()
    assert article.source is None
    assert article.published_on is None and article.date_origin == ""
    assert article.original_url is None
    assert article.authors == "" and article.external_id == ""
    assert article.title == "Scholar number 1 was detained in Kashgar"
    assert article.title_origin == Article.TitleOrigin.DERIVED
    assert Source.objects.count() == 0


def test_language_is_taken_from_the_record_when_stated(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(1, language="tr"), record(2, language=None)])
    import_paths([path])
    assert sorted(Article.objects.values_list("language", flat=True)) == ["", "tr"]


def test_sources_are_shared_by_name_whatever_the_capitalisation(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl", [record(1), record(2, source="radio free asia"), record(3)]
    )
    import_paths([path])
    assert Source.objects.count() == 1
    assert Source.objects.get().articles.count() == 3


def test_hard_wrapped_bodies_are_joined_into_paragraphs(tmp_path):
    body = (
        "NEW YORK  (Reuters) - The company said on Tuesday it expected \n"
        "revenue to grow. \n\n  Analysts were \nsurprised."
    )
    import_paths([write_jsonl(tmp_path / "a.jsonl", [record(body=body)])])
    assert Article.objects.get().paragraphs == [
        "NEW YORK (Reuters) - The company said on Tuesday it expected revenue to grow.",
        "Analysts were surprised.",
    ]


def test_gzipped_files_and_directories_are_read_recursively_in_name_order(tmp_path):
    (tmp_path / "b").mkdir()
    write_jsonl(tmp_path / "b" / "2020.jsonl.gz", [record(3)])
    write_jsonl(tmp_path / "a.jsonl", [record(1), record(2)])
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Uyghur poet detained in Urumqi\n\nText.", encoding="utf-8")
    report = import_paths([tmp_path])
    assert [f.path.name for f in report.files] == ["a.jsonl", "2020.jsonl.gz", "c.txt"]
    assert report.summary == "4 new, 0 unchanged, 0 updated"
    assert Article.objects.filter(external_id="report-3").exists()


def test_blank_lines_between_records_are_ignored(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(f"{json.dumps(record(1))}\n\n{json.dumps(record(2))}\r\n", encoding="utf-8")
    assert import_paths([path]).summary == "2 new, 0 unchanged, 0 updated"


def test_records_are_read_one_line_at_a_time(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(1)])
    with path.open("a", encoding="utf-8") as stream:
        stream.write("{not yet read\n")
    articles = read_jsonl(path)
    assert next(articles).external_id == "report-1"


def test_a_batch_of_records_costs_a_few_queries_not_one_per_record(
    tmp_path, django_assert_max_num_queries
):
    path = write_jsonl(tmp_path / "a.jsonl", [record(n) for n in range(200)])
    # One lookup, one slug check, the new source; Django splits the two bulk
    # INSERTs (articles, history) into chunks that fit SQLite's parameter limit;
    # tagging reads the vocabulary and the batch's mentions, quotes are looked
    # for in the batch, and the index is queued.
    with django_assert_max_num_queries(36):
        assert import_paths([path]).summary == "200 new, 0 unchanged, 0 updated"
    with django_assert_max_num_queries(4):
        assert import_paths([path]).summary == "0 new, 200 unchanged, 0 updated"
