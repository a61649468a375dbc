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


def three_files(folder):
    folder.mkdir()
    for n in range(3):
        write_jsonl(
            folder / f"{n}.jsonl",
            [record(id=f"a{n}", url=f"{URL}?{n}", body=f"Survivor {n} described camp{n}.")],
        )
    return folder


def test_a_folder_of_small_files_is_indexed_in_one_write(tmp_path, monkeypatch):
    writes = []
    index_articles = indexing.index_articles
    monkeypatch.setattr(
        indexing, "index_articles", lambda ids: writes.append(sorted(ids)) or index_articles(ids)
    )
    report = import_paths([three_files(tmp_path / "folder")])
    assert not report.failed and report.created == 3
    assert writes == [sorted(Article.objects.values_list("pk", flat=True))]
    assert [found(f"camp{n}") != [] for n in range(3)] == [True, True, True]
    assert not IndexQueue.objects.exists()


def test_a_long_import_is_indexed_as_it_goes(tmp_path, monkeypatch):
    """Once INDEX_BATCH_SIZE articles wait, they are indexed before the next file is read."""
    from archive.ingest import importer

    monkeypatch.setattr(importer, "INDEX_BATCH_SIZE", 2)
    writes = []
    monkeypatch.setattr(
        indexing,
        "index_articles",
        lambda ids: writes.append((len(ids), Article.objects.count())),
    )
    import_paths([three_files(tmp_path / "folder")])
    assert writes == [(2, 2), (1, 3)]  # (articles written, articles stored by then)


def test_an_index_failure_is_reported_on_every_file_of_the_write(tmp_path, monkeypatch):
    def broken_index(ids):
        raise OSError("index locked")

    monkeypatch.setattr(indexing, "index_articles", broken_index)
    report = import_paths([three_files(tmp_path / "folder")])
    assert len(report.failed) == 3
    for n, failed in enumerate(report.failed):
        assert failed.index_problem.startswith(
            f"{tmp_path / 'folder' / f'{n}.jsonl'}: articles saved"
        )
    assert IndexQueue.objects.count() == 3 == Article.objects.count()
