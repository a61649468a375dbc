"""Export and restore: the whole archive, history included, into an empty database unchanged."""

import gzip
import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection

from archive.backup import RestoreError, exported_models, restore_archive
from archive.editors import EDITORS_GROUP
from archive.integrity import index_differences, indexed_article_ids, verify_hashes
from archive.models import (
    Article,
    Entity,
    EntityRedirect,
    IndexQueue,
    Mention,
    RelatedLink,
    Source,
)


def build_archive():
    """The seed articles and vocabulary, tagged, with a source, links, a redirect and edits."""
    call_command("loaddata", "fixtures/seed_articles.json", "fixtures/entities.json", verbosity=0)
    call_command("retag_articles", verbosity=0, stdout=io.StringIO())
    editor = User.objects.create_user("ayse", password="a long enough passphrase", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))

    first, second, third = Article.objects.order_by("pk")[:3]
    source = Source(name="Radio Free Asia", slug="radio-free-asia")
    source._history_user = editor
    source.save()
    first.source = source
    first.body += "\n\nCorrection: an editor's added paragraph, with “curly quotes”."
    first._history_user = editor
    first.save()
    third.status = Article.Status.DRAFT  # unpublished: kept, but not in the index
    third.save()
    RelatedLink.objects.create(from_article=first, to_article=second, note="Same extradition")
    entity = Entity.objects.order_by("pk").first()
    EntityRedirect.objects.create(old_slug="old-spelling", entity=entity)
    call_command("rebuild_index", interactive=False, verbosity=0)
    IndexQueue.objects.all().delete()  # applied by the rebuild


def snapshot() -> dict:
    """Every row of every exported table, with the history's editors by name."""
    usernames = dict(User.objects.values_list("pk", "username"))
    rows = {}
    for model in exported_models():
        values = list(model._base_manager.order_by("pk").values())
        for row in values:
            if "history_user_id" in row:
                row["history_user_id"] = usernames.get(row["history_user_id"])
        rows[model._meta.label_lower] = values
    return rows


def archive_is_empty() -> bool:
    return not any(model._base_manager.exists() for model in exported_models())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["archive.jsonl", "archive.jsonl.gz"])
def test_an_export_restores_into_an_empty_database_exactly(tmp_path, capsys, name):
    build_archive()
    before = snapshot()
    published = set(Article.objects.published().values_list("pk", flat=True))
    assert before["archive.mention"] and before["archive.historicalarticle"]
    path = tmp_path / name

    call_command("export_archive", str(path))
    assert f"to {path}:" in capsys.readouterr().out
    call_command("flush", interactive=False, verbosity=0)
    call_command("clear_index", interactive=False, verbosity=0)
    assert archive_is_empty() and not User.objects.filter(username="ayse").exists()

    call_command("restore_archive", str(path))
    out = capsys.readouterr().out
    assert "Restored 1 auth.user, 1 archive.source, 5 archive.article" in out
    assert "The search index was rebuilt" in out
    assert "without passwords" in out

    assert snapshot() == before  # every row, key, hash, timestamp and revision
    assert verify_hashes().mismatches == []
    assert indexed_article_ids() == published
    assert index_differences().in_line
    editor = User.objects.get(username="ayse")
    assert not editor.has_usable_password()
    assert editor.groups.filter(name=EDITORS_GROUP).exists()
    # New rows get new keys after the restored ones.
    new = Source.objects.create(name="The Diplomat", slug="the-diplomat")
    assert new.pk > max(row["id"] for row in before["archive.source"])


def test_the_export_is_gzip_compressed_by_its_name(db, tmp_path):
    build_archive()
    call_command("export_archive", str(tmp_path / "a.jsonl.gz"), stdout=io.StringIO())
    with gzip.open(tmp_path / "a.jsonl.gz", "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        records = [json.loads(line) for line in lines]
    assert header["format"] == "uyghur-archive-export"
    kinds = {record.get("model") for record in records}
    for kind in ("archive.article", "archive.entity", "archive.alias", "archive.mention"):
        assert kind in kinds
    article = next(r for r in records if r.get("model") == "archive.article")
    for kept in ("original_text", "body_sha256", "original_sha256", "created_at"):
        assert kept in article["fields"]
    assert records[-1]["end"] == "uyghur-archive-export"
    assert not list(tmp_path.glob(".*partial"))


def test_an_export_that_cannot_be_written_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="cannot be written"):
        call_command("export_archive", str(tmp_path / "no-such-folder" / "a.jsonl"))


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    build_archive()
    path = tmp_path / "archive.jsonl"
    call_command("export_archive", str(path), stdout=io.StringIO())
    before = snapshot()
    with pytest.raises(CommandError) as refusal:
        call_command("restore_archive", str(path))
    assert "The database already holds 1 sources, 5 articles" in str(refusal.value)
    assert "only goes into an empty database" in str(refusal.value)
    assert snapshot() == before


def empty_the_archive():
    """As a new database would be, in the test's own transaction."""
    with connection.cursor() as cursor:
        for model in reversed(exported_models()):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    User.objects.filter(username="ayse").delete()


@pytest.fixture
def export_lines(db, tmp_path):
    """The lines of an export of the built archive, which is then emptied."""
    build_archive()
    path = tmp_path / "good.jsonl"
    call_command("export_archive", str(path), stdout=io.StringIO())
    empty_the_archive()
    return path.read_text(encoding="utf-8").splitlines()


def line_of(lines, model, nth=0) -> int:
    return [i for i, line in enumerate(lines) if f'"model": "{model}"' in line][nth]


def with_record(lines, model, change, nth=0):
    """The lines with one record of `model` changed by `change(record)`."""
    index = line_of(lines, model, nth)
    record = json.loads(lines[index])
    change(record)
    return [*lines[:index], json.dumps(record, ensure_ascii=False), *lines[index + 1 :]]


def altered_body(record):
    record["fields"]["body"] = record["fields"]["body"].replace("Uighur", "Uyghur")


def bad_date(record):
    record["fields"]["published_on"] = "2020-13-45"


def dangling_mention(record):
    record["fields"]["article"] = 99_999


def unknown_kind(record):
    record["model"] = "auth.permission"


MALFORMED = {
    "not JSON": (
        lambda lines: [*lines[:4], '{"model": "archive.article", "pk": ', *lines[5:]],
        "line 5: not valid JSON",
    ),
    "cut short": (lambda lines: lines[:-3], "without its closing line: it was cut short"),
    "altered text": (
        lambda lines: with_record(lines, "archive.article", altered_body),
        "does not match the SHA-256 stored with it",
    ),
    "impossible date": (
        lambda lines: with_record(lines, "archive.article", bad_date, nth=1),
        "archive.article record cannot be read",
    ),
    "dangling reference": (
        lambda lines: with_record(lines, "archive.mention", dangling_mention),
        "do not fit together",
    ),
    "unknown kind": (
        lambda lines: with_record(lines, "archive.alias", unknown_kind),
        "unknown kind of record 'auth.permission'",
    ),
    "a record twice": (
        lambda lines: [*lines[:3], lines[line_of(lines, "archive.entity")], *lines[3:]],
        "cannot be stored",
    ),
    "a record missing": (
        lambda lines: [
            line for i, line in enumerate(lines) if i != line_of(lines, "archive.alias")
        ],
        "the closing line says the file holds",
    ),
    "not an export": (
        lambda lines: ['{"id": 1, "title": "an article to import"}', *lines[1:]],
        "line 1: not an export of this archive",
    ),
    "empty": (lambda lines: [], "the file is empty"),
}


@pytest.mark.parametrize("damage", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_file_restores_nothing(export_lines, tmp_path, damage):
    make, message = MALFORMED[damage]
    path = tmp_path / "damaged.jsonl"
    path.write_text("\n".join(make(export_lines)) + "\n", encoding="utf-8")
    with pytest.raises(RestoreError) as refusal:
        restore_archive(path)
    assert message in str(refusal.value)
    assert "Nothing was restored" in str(refusal.value)
    assert archive_is_empty()
    assert not User.objects.filter(username="ayse").exists()  # its line came first


def test_a_cut_gzip_file_restores_nothing(export_lines, tmp_path):
    whole = gzip.compress(("\n".join(export_lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CommandError, match="cannot be read .*Nothing was restored"):
        call_command("restore_archive", str(path))
    assert archive_is_empty()


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="no-such.jsonl: no such file"):
        call_command("restore_archive", str(tmp_path / "no-such.jsonl"))


def test_only_the_index_queue_is_left_out_of_the_export():
    labels = {model._meta.label_lower for model in exported_models()}
    for kept in (
        "archive.source",
        "archive.article",
        "archive.entity",
        "archive.alias",
        "archive.mention",
        "archive.relatedlink",
        "archive.entityredirect",
        "archive.historicalarticle",
        "archive.historicalmention",
    ):
        assert kept in labels
    assert "archive.indexqueue" not in labels
    # Each table comes after the tables it refers to.
    order = [model._meta.label_lower for model in exported_models()]
    assert order.index("archive.source") < order.index("archive.article")
    assert order.index("archive.article") < order.index("archive.mention")
    assert order.index("archive.entity") < order.index("archive.mention")
    # sort_dependencies keeps the order of archive/models.py: a model declared before
    # a table it refers to would be written before the rows it needs.
    models = exported_models()
    for position, model in enumerate(models):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in models:
                assert models.index(field.related_model) <= position, (model, field.name)
    assert Mention._meta.label_lower in labels
