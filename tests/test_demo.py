"""`make demo`: the seed fixture is what the importer makes; set-up never overwrites work."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from haystack.query import SearchQuerySet

from archive.models import Article, Entity, Mention
from archive.related import lists_due

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "seed_articles.json"
MADE_AT_IMPORT_TIME = {"captured_at", "created_at", "updated_at"}


def test_the_seed_fixture_is_exactly_what_the_importer_makes(seed_dir):
    """Regenerate with `make fixtures` when the importer changes."""
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    imported = {a.slug: a for a in Article.objects.all()}
    records = [r for r in json.loads(FIXTURE.read_text()) if r["model"] == "archive.article"]
    assert sorted(r["fields"]["slug"] for r in records) == sorted(imported)
    for record in records:
        article = imported[record["fields"]["slug"]]
        for name, value in record["fields"].items():
            if name in MADE_AT_IMPORT_TIME:
                continue
            stored = getattr(article, name + "_id" if name == "source" else name)
            stored = stored.isoformat() if hasattr(stored, "isoformat") else stored
            assert stored == value, (record["fields"]["slug"], name)


def test_setup_demo_loads_seeds_history_index_and_an_editor():
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    assert Article.objects.published().count() == 5
    assert Entity.objects.count() > 40
    assert all(article.history.count() == 1 for article in Article.objects.all())
    assert SearchQuerySet().models(Article).filter(content="mercy").count() == 1
    assert Mention.objects.filter(entity__name="World Uyghur Congress").exists()
    wuc = Entity.objects.get(slug="world-uyghur-congress")
    assert (
        SearchQuerySet().models(Article).filter(entities=str(wuc.pk)).count() == 1
    )  # indexed with its tags
    assert lists_due(Article.objects.published()) == []  # related documents worked out
    assert "password" in out.getvalue()


def test_setup_demo_again_keeps_what_editors_changed():
    call_command("setup_demo", stdout=io.StringIO())
    article = Article.objects.get(published_on="2021-02-10")
    article.title = "Protests outside China's embassies in Ankara and Almaty"
    article.save()
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    article.refresh_from_db()
    assert article.title == "Protests outside China's embassies in Ankara and Almaty"
    assert Article.objects.count() == 5
    assert "not loaded again" in out.getvalue()
