"""Input from outside cannot break the archive: fuzzed search parameters never get a 5xx,
malformed imports leave an archive that already holds articles exactly as it was, and
every form of the admin refuses a POST without its CSRF token.
"""

import gzip
import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from haystack.query import SearchQuerySet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.ingest.importer import import_paths
from archive.models import Article, Entity, IndexQueue, Mention, Source

# Search parameters ---------------------------------------------------------------------------

SEARCH_URLS = ["/search/", "/api/search", "/search/export.csv", "/feeds/search/"]
# What the query language gives meaning to, and what engines and parsers trip on.
SYNTAX = [
    '"',
    "“",
    "”",
    "'",
    "*",
    "?",
    "-",
    "+",
    "OR",
    "AND",
    "NOT",
    "TO",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "source:",
    "entity:",
    'source:"',
    "^",
    "~",
    "\\",
    "/",
    "&",
    "|",
    "!",
    "\x00",
    "\u202e",
    "\ufeff",
    "\u0130",
    "ß",
    "Ürümqi",
    "Uighur",
    "camps",
    "%",
    "%00",
    "<script>",
    "--",
    ";",
    "0",
    "-1",
    "2020-13-45",
    "99999",
    "AND OR NOT",
]
words = st.one_of(
    st.sampled_from(SYNTAX),
    st.text(min_size=1, max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=6),
)
queries = st.one_of(
    st.lists(words, max_size=12).map(" ".join),
    st.lists(words, max_size=12).map("".join),
    st.text(max_size=200),
    # Long: a word repeated, and one long word (huge ones: test_huge_queries_get_an_answer).
    st.builds(lambda word, times: " ".join([word] * times)[:3000], words, st.integers(50, 500)),
    st.builds(lambda word, times: (word * times)[:300], words, st.integers(20, 300)),
)
values = st.one_of(st.text(max_size=40), st.sampled_from(SYNTAX), st.integers().map(str))
pages = st.one_of(values, st.integers(-(10**30), 10**30).map(str))
searches = st.fixed_dictionaries(
    {"q": queries},
    optional={
        "source": st.one_of(values, st.lists(values, max_size=3)),
        "entity": st.one_of(values, st.sampled_from(["uyghurs", "turkey"]), st.lists(values)),
        "from": st.one_of(values, st.sampled_from(["2020", "2020-06", "0000", "2020-02-30"])),
        "to": values,
        "sort": st.one_of(values, st.sampled_from(["relevance", "newest", "oldest"])),
        "page": pages,
    },
)


@pytest.fixture
def indexed_seeds(db):
    call_command("loaddata", "fixtures/seed_articles.json", "fixtures/entities.json", verbosity=0)
    call_command("update_index", verbosity=0)


@pytest.mark.slow
@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    database=None,  # nothing written to .hypothesis/
    derandomize=True,  # the same examples on every run: a steady time for `make test`
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(url=st.sampled_from(SEARCH_URLS), params=searches)
def test_no_search_parameter_gets_a_server_error(client, indexed_seeds, url, params):
    response = client.get(url, params)
    assert response.status_code < 500, (url, params)
    if url == "/api/search":
        assert response.json()["query"] is not None


HUGE_QUERIES = [
    "Uighur camps " * 1000,  # 13,000 characters of real words
    "\x00" * 10_000,
    '"' * 10_000,
    "* " * 5000,
    "OR " * 3000,
    "-camps " * 1500,
    "source:x " * 1000,
    "(" * 5000 + ")" * 5000,
]


@pytest.mark.django_db
def test_huge_queries_get_an_answer(client, indexed_seeds):
    for query in HUGE_QUERIES:
        for url in SEARCH_URLS:
            response = client.get(url, {"q": query, "from": query[:50], "page": query[:50]})
            assert response.status_code < 500, (url, query[:20])


# Malformed imports -----------------------------------------------------------------------------


def archive_state() -> dict:
    """Everything an import could touch, as comparable values."""
    return {
        "articles": list(Article.objects.order_by("pk").values()),
        "sources": list(Source.objects.order_by("pk").values()),
        "entities": Entity.objects.count(),
        "mentions": list(Mention.objects.order_by("pk").values_list("pk", "article", "entity")),
        "history": Article.history.count(),
        "queue": IndexQueue.objects.count(),
        "indexed": sorted(int(pk) for pk in SearchQuerySet().values_list("pk", flat=True)[:1000]),
    }


def record(n, **fields):
    return {
        "id": f"r{n}",
        "source": "Bitter Winter",
        "title": f"Report {n} on the camps",
        "date": "2021-01-01",
        "url": f"https://bitterwinter.org/report-{n}/",
        "author": None,
        "body": f"Report {n} text about Uyghurs in Turkey.",
        **fields,
    }


def jsonl(path, records_or_lines):
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records_or_lines]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


MALFORMED = {
    "bad JSON after an update and a new article": lambda: [
        record(1, body="Report 1 rewritten."),
        record(9),
        "{oops",
    ],
    "an impossible date after an update": lambda: [
        record(2, title="Report 2, retitled"),
        record(10, date="2021-02-30"),
    ],
    "a line that is not an object": lambda: [record(11), "[1, 2, 3]"],
    "an empty body": lambda: [record(1, body="Report 1 again, changed."), record(12, body="")],
    "a markup URL": lambda: [record(13, url="javascript:alert(1)")],
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("problem", MALFORMED)
def test_a_malformed_import_leaves_a_populated_archive_unchanged(tmp_path, problem):
    import_paths([jsonl(tmp_path / "first.jsonl", [record(n) for n in range(1, 5)])])
    Article.objects.filter(pk=Article.objects.first().pk).update(status=Article.Status.DRAFT)
    call_command("rebuild_index", interactive=False, verbosity=0)
    before = archive_state()
    assert len(before["articles"]) == 4 and len(before["indexed"]) == 3

    bad = jsonl(tmp_path / "bad.jsonl", MALFORMED[problem]())
    report = import_paths([bad])
    assert report.failed and "line" in report.failed[0].error
    assert archive_state() == before


@pytest.mark.django_db(transaction=True)
def test_damaged_compressed_files_leave_a_populated_archive_unchanged(tmp_path):
    import_paths([jsonl(tmp_path / "first.jsonl", [record(n) for n in range(1, 4)])])
    before = archive_state()
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(
        gzip.compress(
            b"".join(
                json.dumps(record(n, body=f"Changed {n}.")).encode() + b"\n" for n in range(1, 50)
            )
        )[:-40]
    )
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_text(json.dumps(record(1, body="Changed.")) + "\n")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00" * 100)
    report = import_paths([truncated, not_gzip, binary])
    assert len(report.failed) == 3
    assert archive_state() == before


# CSRF on every form ----------------------------------------------------------------------------


@pytest.fixture
def admin_objects(db, seed_dir):
    import io

    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    Source.objects.create(name="Test Wire", slug="test-wire")
    return User.objects.create_superuser("boss", password="a long enough passphrase")


def admin_post_targets() -> list[str]:
    """Every URL the admin accepts a POST on, for one object of each registered model."""
    targets = [
        reverse("admin:logout"),
        reverse("admin:password_change"),
        reverse("admin:archive_entity_suggestions"),
        reverse("admin:auth_user_password_change", args=[User.objects.first().pk]),
    ]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        targets += [reverse(f"{name}_add"), reverse(f"{name}_changelist")]
        obj = model._default_manager.first()
        if obj is None:
            continue
        targets += [
            reverse(f"{name}_change", args=[obj.pk]),
            reverse(f"{name}_delete", args=[obj.pk]),
        ]
        history = getattr(model, "history", None)
        if history is not None and hasattr(model_admin, "history_view"):
            revision = history.first()  # any object's revision, as "Revert" posts it
            if revision is not None:
                object_id = getattr(revision, model._meta.pk.attname)
                targets.append(
                    reverse(f"{name}_simple_history", args=[object_id, revision.history_id])
                )
    return targets


def test_the_admin_refuses_every_post_without_a_csrf_token(admin_objects):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("admin:login"), {"username": "boss", "password": "x"})
    assert response.status_code == 403

    browser.force_login(admin_objects)
    targets = admin_post_targets()
    assert len(targets) > 20
    for url in targets:
        response = browser.post(url, {"action": "unpublish", "_selected_action": [1]})
        assert response.status_code == 403, url
        assert b"CSRF" in response.content, url


def test_the_same_posts_with_the_token_get_through(admin_objects):
    """The control: the 403s above come from the missing token, not from the test's set-up."""
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("admin:login"))
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        reverse("admin:login"),
        {"username": "boss", "password": "a long enough passphrase", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    article = Article.objects.first()
    change = reverse("admin:archive_article_change", args=[article.pk])
    browser.get(change)
    token = browser.cookies["csrftoken"].value
    response = browser.post(change, {"csrfmiddlewaretoken": token})
    assert response.status_code == 200  # the form, with its errors: past the CSRF check
    assert b"This field is required" in response.content
