"""Importing again adds nothing, a changed article is updated in place, and slugs never collide."""

import json

import pytest

from archive.ingest import importer
from archive.ingest.importer import import_paths
from archive.models import Article

pytestmark = pytest.mark.django_db

URL = "https://www.rfa.org/english/news/uyghur/camps.html"


def record(**fields):
    return {
        "id": "camps",
        "source": "Radio Free Asia",
        "title": "Camp survivors speak",
        "date": "2019-03-04",
        "url": URL,
        "author": "Shohret Hoshur",
        "body": "Three survivors described the camps.",
        **fields,
    }


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_importing_the_seeds_again_creates_nothing(seed_dir):
    import_paths([seed_dir])
    report = import_paths([seed_dir])
    assert report.summary == "0 new, 5 unchanged, 0 updated"
    assert Article.objects.count() == 5
    assert Article.history.count() == 5


def test_the_same_text_in_another_place_is_recognised(seed_dir, seed_paths, tmp_path):
    import_paths([seed_dir])
    copy = tmp_path / "copy.txt"
    copy.write_bytes(seed_paths[3].read_bytes())
    assert import_paths([copy]).summary == "0 new, 1 unchanged, 0 updated"


def test_the_same_body_with_different_page_boilerplate_is_a_duplicate(
    seed_dir, seed_paths, tmp_path
):
    import_paths([seed_dir])
    copy = tmp_path / "copy.txt"
    copy.write_text(seed_paths[4].read_text(encoding="utf-8") + "\n\nTrending\n", encoding="utf-8")
    assert import_paths([copy]).summary == "0 new, 1 unchanged, 0 updated"


def test_a_changed_article_at_the_same_url_is_updated_in_place_with_history(tmp_path):
    import_paths([write_jsonl(tmp_path / "a.jsonl", [record()])])
    article = Article.objects.get()
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)

    changed = record(title="Camp survivors speak out", body="Four survivors described the camps.")
    report = import_paths([write_jsonl(tmp_path / "b.jsonl", [changed])])

    assert report.summary == "0 new, 0 unchanged, 1 updated"
    updated = Article.objects.get()
    assert updated.pk == article.pk
    assert updated.title == "Camp survivors speak out"
    assert updated.body == "Four survivors described the camps."
    assert json.loads(updated.original_text)["body"] == "Four survivors described the camps."
    assert updated.slug == article.slug  # links to the article keep working
    assert updated.status == Article.Status.DRAFT  # the editor's decision stays
    assert updated.captured_at > article.captured_at
    assert [h.history_type for h in updated.history.order_by("history_date")] == ["+", "~"]
    assert updated.history.latest().body == "Four survivors described the camps."


def test_an_update_keeps_what_an_editor_set_and_what_the_new_version_leaves_unknown(tmp_path):
    import_paths([write_jsonl(tmp_path / "a.jsonl", [record()])])
    Article.objects.update(title="Edited title", title_origin=Article.TitleOrigin.EDITOR)
    changed = record(title="New title", author=None, body="Changed text.")
    import_paths([write_jsonl(tmp_path / "b.jsonl", [changed])])
    article = Article.objects.get()
    assert article.title == "Edited title"
    assert article.authors == "Shohret Hoshur"
    assert article.body == "Changed text."


def test_the_same_record_with_keys_in_another_order_is_unchanged(tmp_path):
    import_paths([write_jsonl(tmp_path / "a.jsonl", [record()])])
    reordered = tmp_path / "b.jsonl"
    reordered.write_text(json.dumps(dict(reversed(record().items())), indent=None) + "\n")
    assert import_paths([reordered]).summary == "0 new, 1 unchanged, 0 updated"


def test_a_record_saved_by_an_editor_is_still_recognised(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(url=None)])
    import_paths([path])
    Article.objects.get().save()  # recomputes original_sha256 from the text as received
    assert import_paths([path]).summary == "0 new, 1 unchanged, 0 updated"


def test_a_url_is_added_to_the_article_first_imported_without_one(tmp_path):
    import_paths([write_jsonl(tmp_path / "a.jsonl", [record(url=None)])])
    report = import_paths([write_jsonl(tmp_path / "b.jsonl", [record()])])
    assert report.summary == "0 new, 0 unchanged, 1 updated"
    assert Article.objects.get().original_url == URL


def test_articles_at_different_urls_with_the_same_text_are_kept_apart(tmp_path):
    other = record(id="copy", url="https://example.org/copy.html")
    report = import_paths([write_jsonl(tmp_path / "a.jsonl", [record(), other])])
    assert report.summary == "2 new, 0 unchanged, 0 updated"


def test_a_duplicate_within_one_file_is_stored_once(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(), record(), record(url=None, id="x")])
    report = import_paths([path])
    assert report.summary == "1 new, 2 unchanged, 0 updated"
    assert Article.objects.count() == 1


def test_a_later_version_within_one_file_updates_the_earlier_one(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(), record(body="Corrected text.")])
    assert import_paths([path]).summary == "1 new, 0 unchanged, 1 updated"
    assert Article.objects.get().body == "Corrected text."


def test_slugs_stay_unique_for_the_same_title_within_and_across_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    records = [record(id=str(n), url=f"{URL}?n={n}", body=f"Text {n}.") for n in range(7)]
    import_paths([write_jsonl(tmp_path / "a.jsonl", records)])
    more = [record(id=f"m{n}", url=f"{URL}?m={n}", body=f"More {n}.") for n in range(2)]
    import_paths([write_jsonl(tmp_path / "b.jsonl", more)])
    slugs = list(Article.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 9
    assert "camp-survivors-speak" in slugs
    assert all(slug.startswith("camp-survivors-speak") for slug in slugs)


def test_slugs_are_cut_at_a_word_and_never_empty(tmp_path):
    long_title = "Uyghur " * 40
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [record(title=long_title), record(id="zh", url=None, title="维吾尔族", body="Other.")],
    )
    import_paths([path])
    slugs = set(Article.objects.values_list("slug", flat=True))
    assert {len(slug) <= 80 for slug in slugs} == {True}
    assert "article" in slugs
    assert next(s for s in slugs if s != "article").endswith("uyghur")


def test_every_new_and_updated_article_has_a_history_row_when_imported_in_bulk(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    records = [record(id=str(n), url=f"{URL}?n={n}", body=f"Text {n}.") for n in range(5)]
    import_paths([write_jsonl(tmp_path / "a.jsonl", records)])
    records[1]["body"] = "Changed."
    import_paths([write_jsonl(tmp_path / "a.jsonl", records)])
    assert Article.history.filter(history_type="+").count() == 5
    assert Article.history.filter(history_type="~").count() == 1
