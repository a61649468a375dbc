"""Imported articles can be found by search once their file is committed, and only then."""

import json

import pytest
from haystack.query import SearchQuerySet

from archive.ingest.importer import import_paths
from archive.models import Article, IndexQueue
from archive.search import indexing

pytestmark = pytest.mark.django_db(transaction=True)

URL = "https://www.rfa.org/english/news/uyghur/camps.html"


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def record(**fields):
    return {
        "id": "camps",
        "source": "Radio Free Asia",
        "title": "Camp survivors speak",
        "date": "2019-03-04",
        "url": URL,
        "author": None,
        "body": "Three survivors described the Karakax camps.",
        **fields,
    }


def found(word):
    return sorted(result.pk for result in SearchQuerySet().models(Article).filter(content=word))


def test_imported_seeds_are_searchable(seed_dir):
    import_paths([seed_dir])
    karakax = Article.objects.get(title__startswith="Not only in Xinjiang")
    assert found("Karakax") == [str(karakax.pk)]
    assert len(found("Uyghur")) >= 1
    assert SearchQuerySet().models(Article).count() == 5
    assert found("fentanyl") == []  # the second article on seed 003's page was cut


def test_an_update_replaces_the_indexed_text(tmp_path):
    import_paths([write_jsonl(tmp_path / "a.jsonl", [record()])])
    assert len(found("Karakax")) == 1
    import_paths([write_jsonl(tmp_path / "b.jsonl", [record(body="Four survivors in Hotan.")])])
    assert found("Karakax") == []
    assert len(found("Hotan")) == 1


def test_a_failed_file_leaves_nothing_in_the_index(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl", [record(), record(id="x", url=None, date="2019-02-30")]
    )
    assert import_paths([path]).failed
    assert SearchQuerySet().models(Article).count() == 0


def test_each_changed_article_is_indexed_once_per_file(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(indexing, "index_articles", lambda ids: calls.append(sorted(ids)))
    path = write_jsonl(tmp_path / "a.jsonl", [record(), record(body="Corrected text.")])
    import_paths([path])
    (article,) = Article.objects.all()
    assert calls == [[article.pk]]


def test_an_index_failure_is_reported_without_losing_the_articles(tmp_path, monkeypatch):
    def broken_index(ids):
        raise OSError("index locked")

    monkeypatch.setattr(indexing, "index_articles", broken_index)
    report = import_paths([write_jsonl(tmp_path / "a.jsonl", [record()])])
    (failed,) = report.failed
    assert "could not take them (index locked); they are queued" in failed.index_problem
    (article,) = Article.objects.all()
    assert list(IndexQueue.objects.values_list("article_id", flat=True)) == [article.pk]
