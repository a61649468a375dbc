"""`manage.py verify`: every stored hash recomputed; the search index compared with the articles."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.integrity import index_differences, verify_hashes
from archive.models import (
    Article,
    Entity,
    IndexQueue,
    Mention,
    Quote,
    original_sha256_hex,
    sha256_hex,
)
from archive.quotes.records import update_quotes_for_ids
from archive.search.indexing import index_articles

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    """The five seed articles with their quotes, indexed, one of them edited once (so it has
    history)."""
    call_command("loaddata", "fixtures/seed_articles.json", verbosity=0)
    edited = Article.objects.order_by("pk").first()
    edited.body += "\n\nAn editor's correction."
    edited.save()
    update_quotes_for_ids(Article.objects.values_list("pk", flat=True))
    index_articles(Article.objects.values_list("pk", flat=True))
    IndexQueue.objects.all().delete()  # applied just above
    return Article.objects.order_by("pk")


def quote_ids(article):
    """The ids of an article's quotes; the test needs some (the seeds have a few each)."""
    ids = sorted(article.quotes.filter(rejected=False).values_list("pk", flat=True))
    assert ids, f"article {article.pk} has no quote"
    return ids


def verify(capsys, *args):
    """Run the command; its output, and the CommandError it ended with (or None)."""
    try:
        call_command("verify", *args)
        error = None
    except CommandError as exc:
        error = exc
    captured = capsys.readouterr()
    return captured.out, captured.err, error


def test_an_untouched_archive_verifies(seeds, capsys):
    out, err, error = verify(capsys, "--index")
    assert error is None, err
    assert "Checked the hashes of 5 article(s) and 1 revision(s): all match." in out
    assert "The search index holds 5 article(s); 5 published. They are the same." in out


def test_a_body_changed_behind_the_archives_back_is_reported(seeds, capsys):
    tampered = seeds[2]
    # .update() bypasses save(), so the stored hash stays that of the old text.
    Article.objects.filter(pk=tampered.pk).update(body=tampered.body.replace("China", "PRC", 1))
    out, err, error = verify(capsys)
    assert str(error) == "1 problem(s) found."
    assert f"MISMATCH article {tampered.slug!r} (id {tampered.pk}): the body" in err
    assert "does not match its body_sha256" in err
    assert f"stored {tampered.body_sha256}" in err
    assert "1 hash(es) do not match" in out


def test_a_changed_text_as_received_is_reported_as_such(seeds, capsys):
    tampered = seeds[1]
    Article.objects.filter(pk=tampered.pk).update(original_text=tampered.original_text + " ")
    _, err, error = verify(capsys)
    assert error is not None
    assert f"article {tampered.slug!r}" in err
    assert "the original text does not match its original_sha256" in err
    assert "the body does not match" not in err


def test_a_changed_revision_in_the_history_is_reported(seeds, capsys):
    revision = Article.history.first()
    Article.history.filter(pk=revision.pk).update(body="A rewritten past.")
    _, err, error = verify(capsys)
    assert error is not None
    assert f"MISMATCH revision {revision.history_id} of article {revision.slug!r}" in err


def test_a_forged_hash_is_reported_too(seeds, capsys):
    forged = seeds[0]
    Article.objects.filter(pk=forged.pk).update(body_sha256=sha256_hex("something else"))
    _, err, error = verify(capsys)
    assert error is not None and f"article {forged.slug!r}" in err


def test_hashes_are_read_in_batches(seeds, django_assert_num_queries):
    # 5 articles in batches of 2: 3 queries; 1 revision: 1 query.
    with django_assert_num_queries(4):
        report = verify_hashes(batch_size=2)
    assert (report.articles, report.revisions, report.mismatches) == (5, 1, [])


def test_articles_missing_from_the_index_and_extra_ones_are_listed(seeds, capsys):
    published_behind_its_back, unpublished_behind_its_back = seeds[1], seeds[3]
    Article.objects.filter(pk=published_behind_its_back.pk).update(status=Article.Status.DRAFT)
    index_articles([published_behind_its_back.pk])  # now out of the index
    Article.objects.filter(pk=published_behind_its_back.pk).update(status=Article.Status.PUBLISHED)
    Article.objects.filter(pk=unpublished_behind_its_back.pk).update(status=Article.Status.DRAFT)

    differences = index_differences()
    assert differences.missing == [published_behind_its_back.pk]
    assert differences.extra == [unpublished_behind_its_back.pk]
    # Their quotes with them: the one's are missing, the other's should not be there.
    quotes = index_differences(model=Quote)
    assert quotes.missing == quote_ids(published_behind_its_back)
    assert quotes.extra == quote_ids(unpublished_behind_its_back)
    assert quotes.articles() == [published_behind_its_back.pk, unpublished_behind_its_back.pk]

    out, err, error = verify(capsys, "--index")
    assert str(error) == f"{2 + len(quotes.missing) + len(quotes.extra)} problem(s) found."
    assert "all match" in out  # the hashes are fine
    assert f"Missing from the index (1): ids {published_behind_its_back.pk}" in err
    assert f"In the index but not published (1): ids {unpublished_behind_its_back.pk}" in err
    assert "rebuild_index" in err

    call_command("rebuild_index", interactive=False, verbosity=0)
    assert index_differences().in_line


def test_entries_written_before_the_last_save_or_a_change_of_tags_are_out_of_date(seeds, capsys):
    """What a rebuild wrote back over an editor's save is found, and update_index mends it."""
    saved_behind_its_back, tagged_behind_its_back = seeds[1], seeds[3]
    # .update() leaves the index alone, as the rebuild's stale write did.
    Article.objects.filter(pk=saved_behind_its_back.pk).update(
        title="Zephyrine report", updated_at=timezone.now()
    )
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    Mention.objects.create(article=tagged_behind_its_back, entity=Entity.objects.first())

    differences = index_differences()
    assert differences.stale == [saved_behind_its_back.pk, tagged_behind_its_back.pk]
    assert (differences.missing, differences.extra) == ([], [])

    # The quotes of the article saved behind the index's back hold its old date and source.
    quotes = quote_ids(saved_behind_its_back)
    assert index_differences(model=Quote).stale == quotes

    out, err, error = verify(capsys, "--index")
    assert str(error) == f"{2 + len(quotes)} problem(s) found."
    assert (
        "Out of date in the index, written from an earlier version (2): "
        f"ids {saved_behind_its_back.pk}, {tagged_behind_its_back.pk}"
    ) in err

    call_command("update_index", stdout=io.StringIO())
    assert index_differences().in_line and index_differences(model=Quote).in_line
    assert SearchQuerySet().models(Article).filter(content="Zephyrine").count() == 1


def test_queued_changes_are_mentioned_as_the_likely_reason(seeds):
    article = seeds[3]
    article.status = Article.Status.DRAFT
    save_article(article)  # queued; the flush waits for a commit that the test never makes
    differences = index_differences()
    assert differences.extra == [article.pk]
    assert "1 change(s) are still queued: run `manage.py sync_index`." in str(differences)


def test_an_empty_archive_verifies(capsys):
    out, _, error = verify(capsys, "--index")
    assert error is None
    assert "0 article(s) and 0 revision(s): all match" in out


def test_articles_imported_from_json_lines_verify_before_and_after_an_edit(tmp_path, capsys):
    """Import and an editor's save fingerprint the record the same way (canonical JSON)."""
    record = {
        "title": "Families of detained Uyghurs speak out",
        "id": 7,
        "source": "Example Wire",
        "date": "2021-03-04",
        "url": "https://example.org/families",
        "author": None,
        "body": "Relatives described the camps.\n\nThey asked for news.",
    }
    path = tmp_path / "wire.jsonl"
    path.write_text(json.dumps(record, indent=None, separators=(", ", ": ")) + "\n")
    call_command("import_articles", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get()
    imported_hash = article.original_sha256
    assert imported_hash == original_sha256_hex(article.original_text)
    assert imported_hash != sha256_hex(article.original_text)  # spacing does not count
    assert verify(capsys)[2] is None

    article.title = "Families of detained Uyghurs speak out (corrected)"
    article.save()
    assert article.original_sha256 == imported_hash
    assert verify(capsys)[2] is None

    Article.objects.update(original_text=article.original_text.replace("camps", "sites"))
    _, err, error = verify(capsys)
    assert error is not None and "the original text does not match" in err
