"""Watching the originals: asking each article's original address whether it still answers,
through the same guarded fetch as a capture, and keeping what it answered (OriginalCheck).

The outcomes, in the order they are decided:
- gone: the final answer was 404 or 410, or DNS says the host name no longer exists;
- could not be checked: no answer (time-out, refused connection, failed lookup, a refused
  address) or another status (5xx, 403, 429, 451…): none of these proves the page is gone;
- moved: the redirects led to an address other than the one asked and the one the capture
  was led to;
- changed: the text extracted from the page differs from the latest capture's; with no
  capture to compare with, the text is not compared (never called "unchanged");
- online: it answered at its address with the text as captured.

A page found changed or moved is captured (WARC and all, archive.webcapture.records): the
check then keeps what the original says now as evidence, not only a flag.
"""

import datetime
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import dateformat, timezone

from archive.models import Article, Capture, OriginalCheck, sha256_hex
from archive.webcapture.extract import ExtractedArticle, ExtractionError, extract_article
from archive.webcapture.fetch import Fetched, FetchError, Limits, fetch
from archive.webcapture.records import HTML_TYPES, keep_capture

Outcome = OriginalCheck.Outcome
GONE_STATUSES = {404, 410}


def address_to_check(article: Article) -> str | None:
    """The original address: as recorded on the article, else the one first captured."""
    if article.original_url:
        return article.original_url
    first = article.captures.order_by("fetched_at", "pk").values_list("url", flat=True).first()
    return first or None


def check_original(article: Article, limits: Limits | None = None) -> OriginalCheck:
    """Ask the article's original address whether it still answers; record and return what
    it answered (a new OriginalCheck, with a capture of the page when it changed or moved)."""
    url = address_to_check(article)
    if url is None:
        raise ValueError(f"article {article.slug!r} has no original address to check")
    latest = article.captures.defer("text").order_by("-fetched_at", "-pk").first()
    check = OriginalCheck(article=article, url=url)
    started = timezone.now()
    try:
        fetched = fetch(url, limits)
    except FetchError as exc:
        check.checked_at = started
        check.outcome = Outcome.GONE if exc.host_unknown else Outcome.UNCHECKED
        check.detail = str(exc)
        check.save()
        return check
    check.checked_at = fetched.fetched_at
    check.final_url = fetched.final_url
    check.http_status = fetched.status
    _judge(check, fetched, latest)
    check.save()
    return check


def _judge(check: OriginalCheck, fetched: Fetched, latest: Capture | None) -> None:
    status = fetched.status
    led = f" (its redirects led to {fetched.final_url})" if fetched.final_url != check.url else ""
    if status in GONE_STATUSES:
        check.outcome = Outcome.GONE
        check.detail = f"it answered HTTP {_status_words(status)}{led}"
        return
    if status != 200:
        check.outcome = Outcome.UNCHECKED
        check.detail = (
            f"it answered HTTP {_status_words(status)}{led}: a fault or a refusal, which does "
            "not say whether the page is still there"
        )
        return
    page, why_no_text = _page_text(fetched)
    if latest is not None:
        check.compared_with = latest
        # The SHA-256 of the extracted text, as captures compare (trafilatura evens white space).
        check.text_changed = page is None or sha256_hex(page.text) != latest.text_sha256
    expected = {check.url, latest.final_url if latest else check.url}
    moved = fetched.final_url not in expected
    if moved:
        check.outcome = Outcome.MOVED
        check.detail = f"it led to {fetched.final_url}"
    elif check.text_changed:
        check.outcome = Outcome.CHANGED
        check.detail = "its text differs from the capture's"
    else:
        check.outcome = Outcome.ONLINE
        check.detail = (
            "its text is the capture's"
            if check.text_changed is False
            else "its text was not compared: the archive holds no capture of it"
        )
    if why_no_text:
        check.detail += f"; {why_no_text}"
    if page is not None and (moved or check.text_changed):
        check.evidence = keep_capture(check.article, fetched, page)


def _page_text(fetched: Fetched) -> tuple[ExtractedArticle | None, str]:
    """The article in the page, or None and why there is none."""
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    if media_type not in HTML_TYPES:
        return None, f"it is now {media_type or 'of no stated type'}, not an HTML page"
    try:
        return extract_article(fetched.body, fetched.final_url), ""
    except ExtractionError as exc:
        return None, str(exc)


def _status_words(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# Which articles to check, in which order, and how fast.


def articles_to_check(
    *,
    sources: Iterable | None = None,
    slugs: Iterable[str] | None = None,
    older_than: datetime.timedelta | None = None,
) -> QuerySet[Article]:
    """Articles with an original address, never checked first, then the longest unchecked.

    `older_than` leaves out those checked more recently than that, so a daily cron job
    does not ask again what it asked yesterday.
    """
    has_capture = Exists(Capture.objects.filter(article=OuterRef("pk")))
    articles = (
        Article.objects.filter(Q(original_url__gt="") | has_capture)
        .annotate(last_checked=Max("original_checks__checked_at"))
        .order_by(F("last_checked").asc(nulls_first=True), "pk")
    )
    if sources is not None:
        articles = articles.filter(source__in=sources)
    if slugs is not None:
        articles = articles.filter(slug__in=list(slugs))
    if older_than is not None:
        cutoff = timezone.now() - older_than
        articles = articles.filter(Q(last_checked__isnull=True) | Q(last_checked__lt=cutoff))
    return articles


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def taking_turns(
    articles: Iterable[Article], per_host: int | None = None
) -> Iterator[tuple[Article, str]]:
    """(article, address) with the hosts taking turns, so that the politeness delay is spent
    on other sites; at most `per_host` addresses of one host (the rest wait for the next run)."""
    by_host: dict[str, list[tuple[Article, str]]] = {}
    for article in articles:
        url = address_to_check(article)
        if url:
            by_host.setdefault(host_of(url), []).append((article, url))
    queues = [queue[:per_host] if per_host else queue for queue in by_host.values()]
    for turn in itertools.zip_longest(*queues):
        yield from (entry for entry in turn if entry is not None)


class Pacer:
    """Waits, before asking a host, until `delay` seconds have passed since it was last asked."""

    def __init__(self, delay: float, clock=time.monotonic, sleep=time.sleep):
        self.delay = delay
        self.clock = clock
        self.sleep = sleep
        self.last_asked: dict[str, float] = {}

    def wait_for(self, host: str) -> None:
        last = self.last_asked.get(host)
        if last is not None:
            left = last + self.delay - self.clock()
            if left > 0:
                self.sleep(left)
        self.last_asked[host] = self.clock()


# What readers and editors are told.


def _day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "j F Y")


def describe(check: OriginalCheck) -> str:
    """The check in one sentence, with its date, as the article page, the feed and the API
    say it."""
    day = _day(check.checked_at)
    compared = check.compared_with  # (select_related by original_status)
    since = f" since the capture of {_day(compared.fetched_at)}" if compared else ""
    if check.outcome == Outcome.GONE:
        return f"The original was no longer online on {day}: {check.detail}."
    if check.outcome == Outcome.MOVED:
        changed = f" Its text had changed{since}." if check.text_changed else ""
        return f"On {day} the original address led to another: {check.final_url}.{changed}"
    if check.outcome == Outcome.CHANGED:
        return f"The original's text had changed{since}, as found on {day}."
    if check.outcome == Outcome.ONLINE:
        if check.text_changed is False:
            return f"The original was still online on {day}, its text unchanged{since}."
        return f"The original was still online on {day} ({check.detail})."
    return (
        f"The original could not be checked on {day}: {check.detail}. "
        "That does not mean it is gone."
    )


@dataclass
class Finding:
    check: OriginalCheck
    sentence: str


@dataclass
class OriginalStatus:
    """What is known of an article's original: its last check, and the last one that found
    something out when the last could not (a time-out does not undo a "gone")."""

    address: str
    latest: OriginalCheck | None
    last_known: OriginalCheck | None

    @property
    def checked(self) -> bool:
        return self.latest is not None

    @property
    def findings(self) -> list[Finding]:
        """What to tell: the last finding, then the last check if it could not find out."""
        checks = [self.last_known] if self.last_known else []
        if self.latest is not None and self.latest != self.last_known:
            checks.append(self.latest)
        return [Finding(check, describe(check)) for check in checks]

    @property
    def sentences(self) -> list[str]:
        return [finding.sentence for finding in self.findings]


def original_status(article: Article) -> OriginalStatus | None:
    """The article's original as last checked (two indexed queries); None when the article
    has no original address."""
    address = address_to_check(article)
    if address is None:
        return None
    checks = article.original_checks.select_related(
        "compared_with",
        "evidence__article",  # the evidence's address names its article
    ).order_by("-checked_at", "-pk")
    latest = checks.first()
    if latest is None or latest.conclusive:
        return OriginalStatus(address, latest, latest)
    return OriginalStatus(address, latest, checks.exclude(outcome=Outcome.UNCHECKED).first())


def vanishings() -> QuerySet[OriginalCheck]:
    """Each time a published article's original was found gone after it was last found
    there (or on its first check), newest first."""
    conclusive_before = (
        OriginalCheck.objects.filter(article=OuterRef("article"))
        .exclude(outcome=Outcome.UNCHECKED)
        .filter(Q(checked_at__lt=OuterRef("checked_at")))
        .order_by("-checked_at", "-pk")
        .values("outcome")[:1]
    )
    return (
        OriginalCheck.objects.filter(outcome=Outcome.GONE, article__status=Article.Status.PUBLISHED)
        .annotate(before=Subquery(conclusive_before))
        .filter(Q(before__isnull=True) | ~Q(before=Outcome.GONE))
        .select_related("article", "article__source")
        .order_by("-checked_at", "-pk")
    )
