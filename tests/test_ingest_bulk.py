"""A bulk import leaves no article behind: every one tagged, its quotes extracted and traced,
its history recorded and its entry in the search index, however the batches fall; and a
rebuild after a deferred import indexes each article once."""

import io
import json

import pytest
from django.core.management import call_command
from haystack.query import SearchQuerySet

from archive.entities import tagging
from archive.ingest import importer
from archive.ingest.importer import import_paths
from archive.integrity import index_differences
from archive.models import Article, Entity, IndexQueue, Mention, Quote, QuoteShingle
from archive.quotes import records
from archive.quotes.normalise import shingles
from archive.search import indexing

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLES = 7  # more than a batch of each step below, and no multiple of any


@pytest.fixture
def small_batches(monkeypatch):
    """Batches that split the file unevenly at every step, as 20,000 articles would."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    monkeypatch.setattr(importer, "INDEX_BATCH_SIZE", 3)
    monkeypatch.setattr(tagging, "BATCH_SIZE", 3)
    monkeypatch.setattr(records, "BATCH_SIZE", 4)
    monkeypatch.setattr(indexing, "FLUSH_BATCH", 3)


@pytest.fixture
def zair(db):
    return Entity.objects.create(name="Kerim Zair", slug="kerim-zair", kind=Entity.Kind.PERSON)


def articles_file(tmp_path, count=ARTICLES):
    path = tmp_path / "reports.jsonl"
    lines = [
        json.dumps(
            {
                "id": f"report-{n}",
                "source": "Radio Free Asia",
                "title": f"Calls from Urumqi, report {n}",
                "date": "2019-03-04",
                "url": f"https://www.rfa.org/english/news/uyghur/report-{n}.html",
                "author": None,
                "body": (
                    f"Report {n} from Istanbul.\n\n“We were watched every single day, and the "
                    f"calls went on for {n + 2} months,” said Kerim Zair."
                ),
            }
        )
        for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def indexed(model) -> set[int]:
    return {int(result.pk) for result in SearchQuerySet().models(model)}


def test_every_article_of_a_bulk_import_is_tagged_quoted_traced_recorded_and_indexed(
    tmp_path, small_batches, zair
):
    report = import_paths([articles_file(tmp_path)])

    assert report.created == ARTICLES and not report.failed
    articles = list(Article.objects.order_by("pk"))
    quotes = list(Quote.objects.order_by("pk"))
    tagged = set(Mention.objects.filter(entity=zair).values_list("article_id", flat=True))
    assert tagged == {a.pk for a in articles}
    assert sorted(q.article_id for q in quotes) == [a.pk for a in articles]
    assert {q.speaker_id for q in quotes} == {zair.pk}
    for quote in quotes:
        stored = set(QuoteShingle.objects.filter(quote=quote).values_list("hash", flat=True))
        assert stored == shingles(quote.normalised_text) and len(stored) == quote.shingle_count
    assert {h.id for h in Article.history.filter(history_type="+")} == {a.pk for a in articles}
    assert {h.id for h in Quote.history.filter(history_type="+")} == {q.pk for q in quotes}
    assert Mention.history.filter(history_type="+").count() == len(tagged)
    assert indexed(Article) == {a.pk for a in articles}
    assert indexed(Quote) == {q.pk for q in quotes}
    assert not IndexQueue.objects.exists()
    assert not index_differences("default").articles()


def test_importing_the_file_again_writes_no_second_quote_run(tmp_path, small_batches, zair):
    path = articles_file(tmp_path)
    import_paths([path])
    runs = QuoteShingle.objects.count()
    changed = articles_file(tmp_path)
    changed.write_text(changed.read_text().replace("single day", "single night"))

    assert import_paths([changed]).updated == ARTICLES
    assert QuoteShingle.objects.count() == runs  # the runs replaced, not added to
    for quote in Quote.objects.all():
        stored = set(QuoteShingle.objects.filter(quote=quote).values_list("hash", flat=True))
        assert stored == shingles(quote.normalised_text)
        assert "single night" in quote.text


def test_a_rebuild_after_a_deferred_import_indexes_each_article_once(
    tmp_path, small_batches, zair, monkeypatch
):
    import_paths([articles_file(tmp_path)], index=False)
    assert IndexQueue.objects.count() == ARTICLES
    flushed = []
    flush = indexing.index_articles
    monkeypatch.setattr(indexing, "index_articles", lambda ids: flushed.append(ids) or flush(ids))
    out = io.StringIO()

    call_command("rebuild_index", interactive=False, stdout=out)

    assert "Applied 0 queued change(s)" in out.getvalue()
    assert flushed == []  # the rebuild wrote them all; the queue was not applied again
    assert not IndexQueue.objects.exists()
    assert indexed(Article) == set(Article.objects.values_list("pk", flat=True))
    assert indexed(Quote) == set(Quote.objects.values_list("pk", flat=True))


def test_update_index_of_part_of_the_index_still_applies_the_queue(tmp_path, zair):
    import_paths([articles_file(tmp_path, count=2)])
    first, second = Article.objects.order_by("pk")
    second.title = "Calls from Kashgar"
    second.save(update_fields=["title"])  # a raw save: queued by hand below
    indexing.queue_articles([second.pk])
    out = io.StringIO()

    # Neither an emptied index nor --remove: an entry it does not write may be stale.
    call_command("update_index", "archive", stdout=out)

    assert "Applied 1 queued change(s)" in out.getvalue()
    assert not IndexQueue.objects.exists()
    assert [r.pk for r in SearchQuerySet().models(Article).filter(content="Kashgar")] == [
        str(second.pk)
    ]
