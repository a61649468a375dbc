"""Paragraph numbers are the ones readers see (¶1 is the first) in stored tags and quotes,
their history, and backups, including what older versions of the archive stored 0-based."""

import gzip
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from archive.backup import RestoreError, restore_archive
from archive.models import Article, Entity, Mention, Quote
from archive.paragraphs import paragraph_text
from archive.quotes.records import quotes_in

# A real export of version 1, paragraphs counted from 0: the demo archive as the code
# before this convention wrote it (commit a0e68a3):
#   manage.py migrate && manage.py setup_demo && manage.py export_archive FILE.jsonl.gz
# with ARCHIVE_DATA_DIR set to an empty directory.
VERSION_1_EXPORT = "tests/data/export-version-1.jsonl.gz"
ZAIR_SLUG = "not-only-in-xinjiang-china-threatens-overseas-uighurs"

BEFORE = ("archive", "0007_article_length_limit")
AFTER = ("archive", "0009_paragraph_number_constraints")


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def at_0_based_schema(transactional_db):
    """The database as it was before paragraphs were numbered from 1; the latest after."""
    apps = migrate_to(BEFORE)
    yield apps
    call_command("migrate", verbosity=0)


def test_the_migration_numbers_stored_paragraphs_from_1_and_back(at_0_based_schema):
    apps = at_0_based_schema
    models = {
        name: apps.get_model("archive", name)
        for name in (
            "Article",
            "Entity",
            "Mention",
            "HistoricalMention",
            "Quote",
            "HistoricalQuote",
        )
    }
    article = models["Article"].objects.create(
        title="Two paragraphs",
        slug="two-paragraphs",
        body='Kerim Zair spoke.\n\n"We were asked to spy," Zair said.',
    )
    zair = models["Entity"].objects.create(name="Kerim Zair", slug="kerim-zair", kind="person")
    placed = {"article": article, "entity": zair, "start": 0, "end": 10, "surface": "Kerim Zair"}
    first = models["Mention"].objects.create(paragraph=0, **placed)
    whole = models["Mention"].objects.create(article=article, entity=zair)
    said = {"article": article, "start": 1, "end": 20, "text": "We were asked to spy"}
    quote = models["Quote"].objects.create(paragraph=1, **said)
    history = {"history_date": "2026-01-01T00:00:00Z", "history_type": "+"}
    models["HistoricalMention"].objects.create(id=first.pk, paragraph=0, **placed, **history)
    models["HistoricalMention"].objects.create(id=whole.pk, article=article, entity=zair, **history)
    models["HistoricalQuote"].objects.create(id=quote.pk, paragraph=1, **said, **history)

    def stored(apps):
        return {
            name: sorted(apps.get_model("archive", name).objects.values_list("id", "paragraph"))
            for name in ("Mention", "HistoricalMention", "Quote", "HistoricalQuote")
        }

    before = stored(apps)
    after = stored(migrate_to(AFTER))
    assert after == {
        "Mention": [(first.pk, 1), (whole.pk, None)],  # a whole-article tag keeps no paragraph
        "HistoricalMention": [(first.pk, 1), (whole.pk, None)],
        "Quote": [(quote.pk, 2)],  # ¶2, as the article's page numbers it
        "HistoricalQuote": [(quote.pk, 2)],
    }
    assert stored(migrate_to(BEFORE)) == before


@pytest.fixture
def version_1_lines():
    with gzip.open(VERSION_1_EXPORT, "rt", encoding="utf-8") as export:
        return export.read().splitlines()


def restore_lines(lines, path):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return restore_archive(path)


@pytest.mark.django_db(transaction=True)
def test_a_version_1_export_restores_with_the_paragraph_numbers_readers_see(
    version_1_lines, tmp_path, client
):
    assert json.loads(version_1_lines[0])["version"] == 1
    # One tag made a tag of the whole article, as an editor could have in version 1.
    index, record = next(
        (i, json.loads(line))
        for i, line in enumerate(version_1_lines)
        if '"model": "archive.mention"' in line
    )
    record["fields"].update(paragraph=None, start=None, end=None)
    version_1_lines[index] = json.dumps(record, ensure_ascii=False)

    restore_lines(version_1_lines, tmp_path / "version-1.jsonl")

    zair = Quote.objects.get(text__startswith="They requested that I work")
    assert zair.paragraph == 7  # stored as 6 in version 1
    page = client.get(zair.article.get_absolute_url()).content.decode()
    assert "I rejected them" in page.split('<p id="p-7">')[1].split("</p>")[0]
    assert Mention.objects.get(pk=record["pk"]).paragraph is None
    for article in Article.objects.all():
        # Where today's extractor finds the quotes, and their words are there.
        assert sorted((q.paragraph, q.start, q.text) for q in article.quotes.all()) == sorted(
            (q.paragraph, q.start, q.text) for q in quotes_in(article)
        )
        for mention in article.mentions.exclude(paragraph=None):
            text = paragraph_text(article.paragraphs, mention.paragraph)
            assert text[mention.start : mention.end] == mention.surface
    # The history says the same, so that restoring an old version puts it in the right place.
    for model in (Mention, Quote):
        now = dict(model.objects.values_list("pk", "paragraph"))
        recorded = {row.id: row.paragraph for row in model.history.all()}
        if model is Mention:  # its history still has the place the tagger gave it
            assert (now.pop(record["pk"]), recorded.pop(record["pk"])) == (None, 1)
        assert recorded == now


@pytest.mark.django_db(transaction=True)
def test_an_export_of_an_unknown_version_is_refused(version_1_lines, tmp_path):
    header = json.loads(version_1_lines[0])
    with pytest.raises(
        RestoreError, match="not an export of this archive .*version 1, 2, 3, 4 or 5"
    ):
        restore_lines([json.dumps({**header, "version": 6}), *version_1_lines[1:]], tmp_path / "f")
    assert not Article.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_version_1_paragraph_that_is_not_a_count_is_refused(version_1_lines, tmp_path):
    index = next(i for i, line in enumerate(version_1_lines) if '"archive.quote"' in line)
    record = json.loads(version_1_lines[index])
    record["fields"]["paragraph"] = "six"
    lines = [*version_1_lines[:index], json.dumps(record), *version_1_lines[index + 1 :]]
    with pytest.raises(RestoreError, match="a paragraph of 'six', not a count from 0"):
        restore_lines(lines, tmp_path / "f.jsonl")
    assert not Article.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_export_is_version_3_and_keeps_the_readers_numbers(tmp_path, seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    before = sorted(Quote.objects.values_list("text", "paragraph"))
    assert ("show absolutely no mercy", 9) in before
    path = tmp_path / "archive.jsonl"
    call_command("export_archive", str(path), stdout=io.StringIO())
    lines = path.read_text(encoding="utf-8").splitlines()
    # ¶1 first since 2; notes 3; captures 4; checks of the originals 5
    assert json.loads(lines[0])["version"] == 5
    call_command("flush", interactive=False, verbosity=0)
    restore_archive(path)
    assert sorted(Quote.objects.values_list("text", "paragraph")) == before


@pytest.mark.django_db(transaction=True)
def test_an_older_export_restores_entity_descriptions_as_notes_for_editors(
    version_1_lines, tmp_path, client
):
    """Before version 3 an entity's notes ("(seed 002)") were its description, shown to
    readers; restored, they are notes, and its page shows none of them."""
    described = [json.loads(line) for line in version_1_lines if '"archive.entity"' in line]
    noted = next(r for r in described if r["fields"].get("description"))
    restore_lines(version_1_lines, tmp_path / "version-1.jsonl")
    entity = Entity.objects.get(pk=noted["pk"])
    assert entity.notes == noted["fields"]["description"]
    assert entity.public_description == ""
    assert entity.history.earliest().notes == entity.notes
    assert entity.notes not in client.get(entity.get_absolute_url()).content.decode()
