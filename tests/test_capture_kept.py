"""Nothing captured is lost: deleting an article keeps its captures and their WARC files,
checked by `verify` and carried by exports; a WARC file of no capture is reported as kept,
not as a problem; and no one deletes a capture in the admin."""

import io
import json

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import call_command
from django.urls import reverse

from archive.articles import delete_articles
from archive.integrity import verify_captures
from archive.models import Article, Capture, OriginalCheck

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]


def capture(url):
    call_command("capture", url, stdout=io.StringIO(), stderr=io.StringIO())


def verify():
    out = io.StringIO()
    call_command("verify", stdout=out, stderr=io.StringIO())  # raises on any problem
    return out.getvalue()


def test_an_article_deleted_in_the_admin_keeps_its_captures_and_their_warc_files(
    site,  # noqa: F811
    settings,
    admin_client,
    tmp_path,
):
    url = site.page("/story", ARTICLE)
    capture(url)
    capture(url)
    article = Article.objects.get()
    delete_url = reverse("admin:archive_article_delete", args=[article.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Article.objects.exists()
    kept = list(Capture.objects.order_by("pk"))
    assert len(kept) == 2 and all(row.article_id is None for row in kept)
    assert all((settings.DATA_DIR / row.warc_path).is_file() for row in kept)
    assert "Checked the WARC files of 2 capture(s) (2 kept from deleted articles): all" in verify()
    export = tmp_path / "archive.jsonl"
    call_command("export_archive", str(export), stdout=io.StringIO())
    files = [json.loads(line).get("file") for line in export.read_text().splitlines()]
    assert {row.warc_path for row in kept} <= set(files)
    # The admin lists them, and says what became of their article.
    listing = admin_client.get(reverse("admin:archive_capture_changelist") + "?article__isempty=1")
    assert listing.content.decode().count(url) >= 2
    detail = admin_client.get(reverse("admin:archive_capture_change", args=[kept[0].pk]))
    assert "Its article was deleted; the capture and its WARC file are kept." in detail.text


def test_the_address_captured_again_after_its_article_was_deleted_makes_a_new_article(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    capture(url)
    delete_articles(Article.objects.all())
    capture(url)
    article = Article.objects.get()
    assert article.captures.count() == 1 and Capture.objects.count() == 2


def test_a_warc_file_of_no_capture_is_reported_as_kept_not_as_a_problem(site, settings):  # noqa: F811
    capture(site.page("/story", ARTICLE))
    stray = settings.DATA_DIR / "captures" / "2020" / "77.warc.gz"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left by a capture whose row was removed by hand")
    report = verify()
    assert "1 file(s) under captures/ belong to no capture; they are kept (not a problem): " in (
        report
    )
    assert "captures/2020/77.warc.gz" in report
    assert verify_captures().problems == []


def test_no_one_deletes_a_capture_in_the_admin(site, admin_client):  # noqa: F811
    capture(site.page("/story", ARTICLE))
    row = Capture.objects.get()
    response = admin_client.post(
        reverse("admin:archive_capture_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Capture.objects.filter(pk=row.pk).exists()


def test_an_article_deleted_keeps_the_checks_of_its_original_and_their_evidence(
    site,  # noqa: F811
    admin_client,
    tmp_path,
):
    url = site.page("/story", ARTICLE)
    capture(url)
    site.page("/story", ARTICLE.replace("third this month", "fourth this month"))
    call_command("check_originals", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())
    site.gone("/story")
    call_command("check_originals", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get()
    assert article.original_checks.count() == 2
    delete_url = reverse("admin:archive_article_delete", args=[article.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302

    checks = list(OriginalCheck.objects.order_by("checked_at", "pk"))
    assert [check.outcome for check in checks] == ["changed", "gone"]
    assert all(check.article_id is None for check in checks)
    assert checks[0].evidence is not None and checks[0].evidence.article_id is None
    listing = admin_client.get(reverse("admin:archive_originalcheck_changelist") + "?checks=all")
    page = listing.content.decode()
    assert page.count("Its article was deleted; the checks of its original are kept.") == 2
    assert reverse("admin:archive_capture_warc", args=[checks[0].evidence_id]) in page
    assert "Checked the WARC files of 2 capture(s) (2 kept from deleted articles)" in verify()
    # An export carries them, their article empty.
    export = tmp_path / "archive.jsonl"
    call_command("export_archive", str(export), stdout=io.StringIO())
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    kept = [row for row in rows if row.get("model") == "archive.originalcheck"]
    assert len(kept) == 2 and all(row["fields"]["article"] is None for row in kept)
