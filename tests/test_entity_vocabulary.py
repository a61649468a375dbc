"""One entity vocabulary for tagging and search: a new spelling reaches both at once, read once.

The vocabulary is read again once per change of the entities and aliases,
not once per request, per thread or per use (tagging and search); counted by
its log lines. The change can come from the admin, from another thread, or
from another process (loaddata writes no history row, as a restore or
`setup_demo` loads aliases) while gunicorn workers serve searches and saves.
"""

import io
import json
import logging
import re
import threading
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from test_load import ServedArchive, Session, form_fields

from archive.entities.merge import merge_entities
from archive.entities.tagging import tag_article
from archive.entities.vocabulary import current_vocabulary
from archive.models import Alias, Article, Entity
from archive.search.query import make_clause
from archive.search.results import SearchParams, run_search

READ = "Read the entity vocabulary"
BUILT = "Built the entity vocabulary's"
NEW_SPELLING, TYPED = "Ouïghour", "Ouighour"  # as an article writes it, as a reader types it
ARTICLE = Article(body=f"{NEW_SPELLING} exiles in Istanbul spoke to reporters.")


@pytest.fixture
def seeds(seed_dir, django_capture_on_commit_callbacks):
    """The seed articles, indexed, and the fixture's entities; returns how many say Uyghur."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    spelled = search_count("Uyghur")
    assert spelled > 1  # Uighur, Uyghur, Uigur: the variants find them all
    return spelled


@pytest.fixture
def vocabulary_log(caplog):
    caplog.set_level(logging.INFO, logger="archive.entities.vocabulary")
    return caplog


def log_lines(caplog, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(start)]


def search_count(q: str) -> int:
    return run_search(SearchParams(q=q)).count


def tagged(article: Article) -> set[str]:
    names = dict(Entity.objects.values_list("pk", "name"))
    return {names[m.entity_id] for m in tag_article(article)}


@pytest.mark.django_db
def test_an_alias_added_in_the_admin_is_used_by_tagging_and_search_after_one_read(
    client, editor, seeds, vocabulary_log
):
    spelled = seeds
    assert search_count(TYPED) == 0
    assert "Uyghurs" not in tagged(ARTICLE)

    uyghurs = Entity.objects.get(name="Uyghurs")
    change = reverse("admin:archive_entity_change", args=[uyghurs.pk])
    fields = form_fields(client.get(change).content.decode(), "entity_form")
    fields[f"aliases-{fields['aliases-INITIAL_FORMS']}-name"] = NEW_SPELLING
    assert client.post(change, fields).status_code == 302
    assert uyghurs.aliases.filter(name=NEW_SPELLING).exists()

    vocabulary_log.clear()
    for _ in range(3):
        assert search_count(TYPED) == spelled
        assert "Uyghurs" in tagged(ARTICLE)
        page = client.get(reverse("search"), {"q": TYPED})
        assert page.context["outcome"].count == spelled
    assert len(log_lines(vocabulary_log, READ)) == 1
    assert sorted(log_lines(vocabulary_log, BUILT)) == [
        f"{BUILT} names ({len(current_vocabulary().spellings)} spellings)",
        f"{BUILT} variants ({len(current_vocabulary().spellings)} spellings)",
    ]


@pytest.mark.django_db
def test_an_alias_loaded_without_history_is_used_by_tagging_and_search(seeds, tmp_path):
    """loaddata writes no history row: the counts in the change token see the new alias."""
    spelled = seeds
    assert search_count(TYPED) == 0
    assert "Uyghurs" not in tagged(ARTICLE)
    fixture = tmp_path / "alias.json"
    uyghurs = Entity.objects.get(name="Uyghurs")
    fixture.write_text(json.dumps([alias_row(uyghurs.pk)]))
    call_command("loaddata", str(fixture), verbosity=0)
    assert search_count(TYPED) == spelled
    assert "Uyghurs" in tagged(ARTICLE)


def alias_row(entity_id: int) -> dict:
    return {
        "model": "archive.alias",
        "pk": 90_000,
        "fields": {"entity": entity_id, "name": NEW_SPELLING, "case_sensitive": False},
    }


@pytest.mark.django_db
def test_after_a_merge_tagging_and_search_name_the_entity_kept():
    keep = Entity.objects.create(name="Ilham Tohti", slug="ilham-tohti", kind="person")
    merged = Entity.objects.create(name="Tohti Ilham", slug="tohti-ilham", kind="person")
    before = current_vocabulary()
    assert before.variants.entity_for(make_clause("Tohti Ilham")) == merged.pk
    merge_entities(keep, merged)
    after = current_vocabulary()
    assert after is not before
    assert after.variants.entity_for(make_clause("Tohti Ilham")) == keep.pk
    assert [found[2] for found in after.names.find_in("Tohti Ilham was jailed.")] == [keep.pk]
    assert [c.text for c in after.variants.alternatives(make_clause("Tohti Ilham"))] == [
        "Tohti Ilham",
        "Ilham Tohti",
    ]


@pytest.mark.django_db(transaction=True)
def test_threads_share_one_vocabulary_read_once_per_change(seeds, vocabulary_log):
    """A threaded server (runserver, gthread workers) reads it once, not once per thread."""
    search_count("warm the vocabulary")
    Alias.objects.create(entity=Entity.objects.get(name="Uyghurs"), name=NEW_SPELLING)
    vocabulary_log.clear()
    start = threading.Barrier(4)
    seen, failures = [], []

    def serve():
        try:
            start.wait()
            seen.append((search_count(TYPED), "Uyghurs" in tagged(ARTICLE)))
        except Exception as error:  # reported below, with the thread's own traceback lost
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=serve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert seen == [(seeds, True)] * 4
    assert len(log_lines(vocabulary_log, READ)) == 1


ADMIN = "/admin/archive/article/"


@pytest.mark.slow
def test_an_alias_loaded_by_another_process_reaches_every_worker_once(tmp_path):
    archive = ServedArchive(tmp_path / "archive")
    archive.data_dir.mkdir()
    try:
        archive.prepare()
        archive.env["LOG_LEVEL"] = "INFO"
        workers = 2
        archive.serve(workers=workers)
        reader = Session(archive.port)

        def count(q: str) -> int:
            answer = reader.get(f"/api/search?q={quote(q)}")
            assert answer.status == 200, answer.body[:500]
            return json.loads(answer.body)["count"]

        spelled = count("Uyghur")
        assert spelled > 0
        assert [count(TYPED) for _ in range(6)] == [0] * 6  # every worker has read it
        since = archive.log.stat().st_size
        served_since = archive.access_log.stat().st_size

        ((uyghurs,),) = archive.rows("SELECT id FROM archive_entity WHERE name = 'Uyghurs'")
        fixture = tmp_path / "alias.json"
        fixture.write_text(json.dumps([alias_row(uyghurs)]))
        loaded = archive.manage("loaddata", str(fixture))
        assert loaded.returncode == 0, loaded.stderr

        searches = 12
        assert [count(TYPED) for _ in range(searches)] == [spelled] * searches
        editor = Session(archive.port)
        editor.log_in(archive.editors[0], archive.editor_password)
        fields = form_fields(editor.get(ADMIN + "add/").body)
        fields.update(
            title="Exiles speak",
            slug="exiles-speak",
            status="published",
            body=ARTICLE.body,
            _continue="Save and continue editing",
        )
        saved = editor.post_form(ADMIN + "add/", fields)
        assert saved.status == 302, saved.body[:500]
        article = int(re.search(r"/(\d+)/change/", saved.headers["Location"]).group(1))
        tags = archive.rows(
            "SELECT e.name FROM archive_mention m JOIN archive_entity e ON e.id = m.entity_id "
            "WHERE m.article_id = ?",
            article,
        )
        assert ("Uyghurs",) in tags

        with archive.log.open("rb") as log:
            log.seek(since)
            reads = log.read().decode(errors="replace").count(READ)
        with archive.access_log.open("rb") as log:
            log.seek(served_since)
            served = [line.split(" ", 2) for line in log.read().decode().splitlines()]
        answering = {pid for pid, _, _ in served}
        assert sum(requested.endswith(f"?q={TYPED}") for _, _, requested in served) >= searches
        # Once per worker that used it since the change, not once per request or per use.
        assert 1 <= reads <= len(answering) <= workers
    finally:
        archive.stop()
