"""Watching the originals: `manage.py check_originals` asks each original address again,
through the guarded fetch, and keeps what it answered: still online, changed, moved, gone, or
could not be checked (which is not "gone"), one line per address, every check kept."""

import datetime
import io
import json
import socket

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from archive.integrity import verify_captures
from archive.models import Article, Capture, OriginalCheck, Source
from archive.webcapture.originals import (
    Pacer,
    articles_to_check,
    original_status,
    taking_turns,
    vanishings,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]

Outcome = OriginalCheck.Outcome
CHANGED_ARTICLE = ARTICLE.replace("third this month", "fourth this month")


def capture(url):
    call_command("capture", url, stdout=io.StringIO(), stderr=io.StringIO())
    return Article.objects.get(original_url=url)


def check(*args):
    out = io.StringIO()
    call_command("check_originals", "--delay", "0", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_an_original_still_online_and_unchanged(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    assert check() == (
        f"{url}\tonline\tThe original was still online on "
        f"{timezone.localdate():%-d %B %Y}, its text unchanged since the capture of "
        f"{timezone.localdate():%-d %B %Y}.\n"
    )
    row = article.original_checks.get()
    assert (row.outcome, row.http_status, row.text_changed) == (Outcome.ONLINE, 200, False)
    assert row.compared_with == article.captures.get()
    assert row.evidence is None and article.captures.count() == 1  # nothing new to keep


@pytest.mark.parametrize("status", [404, 410])
def test_a_page_taken_down_is_gone_with_its_date(site, status):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    site.gone("/story", status)
    line = check()
    reason = {404: "404 Not Found", 410: "410 Gone"}[status]
    assert line == (
        f"{url}\tgone\tThe original was no longer online on {timezone.localdate():%-d %B %Y}: "
        f"it answered HTTP {reason}.\n"
    )
    row = article.original_checks.get()
    assert (row.outcome, row.http_status, row.evidence) == (Outcome.GONE, status, None)
    assert row.compared_with is None and row.text_changed is None  # no page to compare


def test_a_host_name_that_no_longer_exists_is_gone_but_a_failed_lookup_is_not(
    site,  # noqa: F811
    monkeypatch,
):
    url = site.page("/story", ARTICLE)
    article = capture(url)
    dns = {"answer": socket.EAI_NONAME}
    real_lookup = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host == "newspaper.invalid":
            raise socket.gaierror(dns["answer"], "DNS says so")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    Article.objects.filter(pk=article.pk).update(original_url="http://newspaper.invalid/story")
    assert "\tgone\t" in check()
    assert "its host name" not in OriginalCheck.objects.get().detail  # the resolver's words
    assert "cannot be resolved" in OriginalCheck.objects.get().detail
    dns["answer"] = socket.EAI_AGAIN  # the resolver failed: nothing is known
    assert "\tunchecked\t" in check()
    assert list(article.original_checks.values_list("outcome", flat=True)) == [
        Outcome.GONE,
        Outcome.UNCHECKED,
    ]


@pytest.mark.parametrize("status", [500, 503, 403, 429, 451])
def test_a_server_error_or_refusal_could_not_be_checked_and_is_not_gone(site, status):  # noqa: F811
    url = site.page("/story", ARTICLE)
    capture(url)
    site.page("/story", "<p>Try again later</p>", status=status)
    line = check()
    assert "\tunchecked\t" in line
    assert f"it answered HTTP {status}" in line
    assert "That does not mean it is gone." in line
    assert not vanishings().exists()


def test_a_page_slower_than_the_time_limit_could_not_be_checked(site, settings):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    settings.ARCHIVE_CAPTURE_TIMEOUT = 0.3
    site.slow_page("/story", ARTICLE, seconds=1.5)
    line = check()
    assert "\tunchecked\t" in line and "longer than 0.3 seconds" in line
    row = article.original_checks.get()
    assert (row.http_status, row.final_url, row.text_changed) == (None, "", None)


def test_a_changed_text_is_found_and_the_new_page_kept_as_evidence(site, settings):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    first = article.captures.get()
    site.page("/story", CHANGED_ARTICLE)
    line = check()
    assert "\tchanged\tThe original's text had changed since the capture of" in line
    row = article.original_checks.get()
    evidence = article.captures.exclude(pk=first.pk).get()
    assert (row.outcome, row.text_changed, row.evidence) == (Outcome.CHANGED, True, evidence)
    assert f"Captured as {evidence.get_absolute_url()}" in line
    assert "fourth this month" in evidence.text
    assert (settings.DATA_DIR / evidence.warc_path).is_file()
    assert not verify_captures().problems
    article.refresh_from_db()
    assert "third this month" in article.body  # the archived text stays as it was
    # The next check compares with the evidence, the latest capture: unchanged since then.
    check()
    assert article.original_checks.last().outcome == Outcome.ONLINE


def test_a_redirect_elsewhere_is_moved_and_the_page_it_led_to_captured(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    new_home = site.page("/archive/2021/story", ARTICLE)
    site.redirect("/story", new_home, status=301)
    line = check()
    assert (
        f"\tmoved\tOn {timezone.localdate():%-d %B %Y} the original address led to another: "
        f"{new_home}." in line
    )
    row = article.original_checks.get()
    assert (row.outcome, row.final_url, row.text_changed) == (Outcome.MOVED, new_home, False)
    assert row.evidence.final_url == new_home


def test_a_redirect_the_capture_already_followed_is_no_move(site):  # noqa: F811
    target = site.page("/2021/story", ARTICLE)
    url = site.redirect("/s/1", target)
    article = capture(url)
    assert article.captures.get().final_url == target
    assert "\tonline\t" in check()


def test_a_page_with_no_article_text_any_more_has_changed(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    site.page("/story", b"%PDF-1.4", content_type="application/pdf")
    line = check()
    assert "\tchanged\t" in line
    row = article.original_checks.get()
    assert "it is now application/pdf, not an HTML page" in row.detail
    assert row.evidence is None  # no page the archive can read: the check says what it was


def test_an_imported_article_without_capture_is_never_called_unchanged(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    Article.objects.create(
        title="Imported", slug="imported", body="Text someone pasted.", original_url=url
    )
    line = check()
    assert "\tonline\t" in line
    assert "its text was not compared: the archive holds no capture of it" in line
    assert OriginalCheck.objects.get().text_changed is None


def test_private_addresses_stay_refused_when_checking(site, settings):  # noqa: F811
    url = site.page("/story", ARTICLE)
    capture(url)
    settings.ARCHIVE_CAPTURE_ALLOW_PRIVATE = False
    requests = len(site.requests)
    line = check()
    assert "\tunchecked\t" in line and "a loopback address" in line
    assert len(site.requests) == requests


def test_every_check_is_kept_and_the_status_remembers_the_last_finding(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    site.gone("/story")
    check()
    site.page("/story", "<p>down</p>", status=503)
    check()
    assert article.original_checks.count() == 2
    status = original_status(article)
    assert status.latest.outcome == Outcome.UNCHECKED
    assert status.last_known.outcome == Outcome.GONE  # a time-out does not undo "gone"
    assert len(status.sentences) == 2
    assert status.sentences[0].startswith("The original was no longer online on")
    assert status.sentences[1].startswith("The original could not be checked on")


def test_the_subset_options_choose_what_is_asked(site):  # noqa: F811
    herald = Source.objects.create(name="Herald", slug="herald")
    first = capture(site.page("/one", ARTICLE))
    second = capture(site.page("/two", CHANGED_ARTICLE))
    Article.objects.filter(pk=second.pk).update(source=herald)
    assert check("--source", "herald").count("\n") == 1
    assert list(OriginalCheck.objects.values_list("article", flat=True)) == [second.pk]
    assert check("--article", first.slug).startswith(site.base + "/one\t")
    # Both were just checked: a cron run with --older-than leaves them alone.
    assert check("--older-than", "1") == ""
    OriginalCheck.objects.filter(article=first).update(
        checked_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert check("--older-than", "1").startswith(site.base + "/one\t")
    with pytest.raises(CommandError, match="No source has the slug nowhere"):
        check("--source", "nowhere")
    with pytest.raises(CommandError, match="No article with an original address has the slug x"):
        check("--article", "x")


def test_hosts_take_turns_and_each_waits_its_delay(db):
    articles = [
        Article(slug=f"a{n}", original_url=f"https://{host}/{n}")
        for n, host in enumerate(["a.example", "a.example", "a.example", "b.example"])
    ]
    order = [url for _, url in taking_turns(articles)]
    assert order == [
        "https://a.example/0",
        "https://b.example/3",
        "https://a.example/1",
        "https://a.example/2",
    ]
    assert len(list(taking_turns(articles, per_host=1))) == 2
    now, slept = [100.0], []
    pacer = Pacer(
        5, clock=lambda: now[0], sleep=lambda s: (slept.append(s), now.__setitem__(0, now[0] + s))
    )
    pacer.wait_for("a.example")
    pacer.wait_for("b.example")
    now[0] += 1
    pacer.wait_for("a.example")
    assert slept == [4]


def test_articles_never_checked_come_first_then_the_longest_unchecked(site):  # noqa: F811
    first = capture(site.page("/one", ARTICLE))
    second = capture(site.page("/two", CHANGED_ARTICLE))
    check("--article", first.slug)
    assert list(articles_to_check()) == [second, first]


def test_the_feed_lists_each_vanishing_once_and_only_of_published_articles(client, site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    article = capture(url)
    site.gone("/story")
    check()
    check()  # still gone: the same vanishing
    assert [c.article for c in vanishings()] == [article]
    feed = client.get("/feeds/originals-gone/").content.decode()
    assert feed.count("<entry>") == 1
    assert article.title in feed and "was no longer online on" in feed
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert "<entry>" not in client.get("/feeds/originals-gone/").content.decode()


def test_editors_list_the_originals_gone_moved_or_changed_latest_first(
    client,
    editor,
    site,  # noqa: F811
):
    gone = capture(site.page("/gone", ARTICLE))
    steady = capture(site.page("/steady", CHANGED_ARTICLE))
    site.page("/gone", "<p>down</p>", status=503)
    check()
    site.gone("/gone")
    check()
    listing = reverse("admin:archive_originalcheck_changelist")
    page = client.get(listing).content.decode()
    # One row an article, its latest check: the 503 before the 410 is not listed.
    assert page.count('class="field-outcome"') == 2
    assert "HTTP 410 Gone" in page and "HTTP 503" not in page
    only_gone = client.get(listing + "?outcome=gone").content.decode()
    assert gone.title in only_gone and steady.get_absolute_url() not in only_gone
    lost = client.get(listing + "?outcome=lost").content.decode()
    assert "gone, moved or changed" in lost
    assert gone.get_absolute_url() in lost and steady.get_absolute_url() not in lost
    site.page("/steady", ARTICLE)  # its text changes
    check()
    lost = client.get(listing + "?outcome=lost").content.decode()
    assert gone.get_absolute_url() in lost and steady.get_absolute_url() in lost
    every = client.get(listing + "?checks=all").content.decode()
    assert every.count('class="field-outcome"') == 6
    form = client.get(reverse("admin:archive_article_change", args=[gone.pk])).content.decode()
    assert "The original was no longer online on" in form
    history = f"{listing}?article__id__exact={gone.pk}&amp;checks=all"
    assert history in form
    rows = client.get(history.replace("&amp;", "&")).content.decode()
    assert rows.count('class="field-outcome"') == 3
    # The record of the originals is kept whole: nobody changes or deletes a check here.
    one = OriginalCheck.objects.first()
    assert (
        client.get(reverse("admin:archive_originalcheck_delete", args=[one.pk])).status_code == 403
    )
    assert (
        'name="_save"'
        not in client.get(
            reverse("admin:archive_originalcheck_change", args=[one.pk])
        ).content.decode()
    )


# A restore empties the tables (TRUNCATE on PostgreSQL), which a test's open transaction
# holding rows of its own would refuse: these run committed, as the commands do.
def checked_archive(site, tmp_path):  # noqa: F811
    """Two articles whose originals were checked: one gone, one changed (kept as evidence);
    exported."""
    gone = capture(site.page("/gone", ARTICLE))
    capture(site.page("/changing", CHANGED_ARTICLE))
    site.gone("/gone")
    site.page("/changing", ARTICLE)
    check()
    assert gone.original_checks.get().outcome == Outcome.GONE
    export = tmp_path / "archive.jsonl"
    call_command("export_archive", str(export), stdout=io.StringIO())
    return export


def restore(path, settings):
    call_command("flush", interactive=False, verbosity=0)
    for warc in (settings.DATA_DIR / "captures").rglob("*.warc.gz"):
        warc.unlink()
    call_command("restore_archive", str(path), stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_an_export_carries_the_checks_and_their_evidence_and_restores_them(
    site,  # noqa: F811
    settings,
    tmp_path,
):
    export = checked_archive(site, tmp_path)
    rows = list(OriginalCheck.objects.order_by("pk").values())
    assert any(row["evidence_id"] for row in rows)
    lines = export.read_text().splitlines()
    assert json.loads(lines[0])["version"] == 5
    assert json.loads(lines[-1])["counts"]["archive.originalcheck"] == 2
    restore(export, settings)
    assert list(OriginalCheck.objects.order_by("pk").values()) == rows
    assert not verify_captures().problems  # the evidence's WARC came back too
    call_command("verify", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_an_export_of_version_4_without_checks_still_restores(site, settings, tmp_path):  # noqa: F811
    lines = checked_archive(site, tmp_path).read_text().splitlines()
    captures = Capture.objects.count()
    # What version 4 wrote: the same, without the checks.
    header, *records, end = (json.loads(line) for line in lines)
    records = [r for r in records if r.get("model") != "archive.originalcheck"]
    end["counts"].pop("archive.originalcheck")
    old = tmp_path / "version-4.jsonl"
    old.write_text(
        "\n".join(json.dumps(r) for r in [{**header, "version": 4}, *records, end]) + "\n"
    )
    restore(old, settings)
    assert not OriginalCheck.objects.exists()
    assert Capture.objects.count() == captures
    assert not verify_captures().problems


def test_a_page_the_archive_fails_on_does_not_stop_the_others(site, monkeypatch):  # noqa: F811
    from archive.webcapture import originals

    broken = capture(site.page("/broken", ARTICLE))
    fine = capture(site.page("/fine", CHANGED_ARTICLE))
    real_extract = originals.extract_article

    def extract(content, url):
        if url.endswith("/broken"):
            raise RuntimeError("the extractor crashed")
        return real_extract(content, url)

    monkeypatch.setattr(originals, "extract_article", extract)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 address.es. could not be checked because of an"):
        call_command("check_originals", "--delay", "0", stdout=out, stderr=io.StringIO())
    assert f"{broken.original_url}\tnot recorded\tRuntimeError: the extractor crashed" in (
        out.getvalue()
    )
    assert not broken.original_checks.exists()
    assert fine.original_checks.get().outcome == Outcome.ONLINE
