"""The check_originals command: ask each original address whether it still answers (for cron)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from archive.models import Source
from archive.webcapture.originals import (
    Pacer,
    articles_to_check,
    check_original,
    describe,
    host_of,
    taking_turns,
)


class Command(BaseCommand):
    help = (
        "Ask each article's original address whether it still answers, through the same "
        "guarded fetch as `capture` (public addresses only, ARCHIVE_CAPTURE_* limits), and "
        "record what it answered with the date: still online, changed since the capture, "
        "moved, gone (404, 410, host name no longer exists), or could not be checked "
        "(time-out, server error: not proof that it is gone). A page found changed or moved "
        "is captured again as evidence. Every check is kept. Prints one line per address: "
        "the address, the outcome and what was found."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            metavar="SLUG",
            action="append",
            help="Only articles of this source (may be given more than once).",
        )
        parser.add_argument(
            "--article",
            metavar="SLUG",
            action="append",
            help="Only this article (may be given more than once).",
        )
        parser.add_argument(
            "--older-than",
            metavar="DAYS",
            type=float,
            help="Leave out articles checked less than DAYS days ago (for cron).",
        )
        parser.add_argument(
            "--delay",
            metavar="SECONDS",
            type=float,
            default=5.0,
            help="Wait at least this long between two requests to one host (default 5).",
        )
        parser.add_argument(
            "--per-host",
            metavar="N",
            type=int,
            help="Ask at most N addresses of one host in this run; the rest wait for the next "
            "(those checked longest ago go first).",
        )

    def handle(self, *args, source, article, older_than, delay, per_host, **options):
        if delay < 0:
            raise CommandError("--delay cannot be negative.")
        if per_host is not None and per_host < 1:
            raise CommandError("--per-host must be at least 1.")
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than cannot be negative.")
        sources = None
        if source:
            sources = list(Source.objects.filter(slug__in=source))
            unknown = set(source) - {s.slug for s in sources}
            if unknown:
                raise CommandError(f"No source has the slug {', '.join(sorted(unknown))}.")
        if article:
            found = articles_to_check(slugs=article).values_list("slug", flat=True)
            unknown = set(article) - set(found)
            if unknown:
                raise CommandError(
                    f"No article with an original address has the slug "
                    f"{', '.join(sorted(unknown))}."
                )
        articles = articles_to_check(
            sources=sources,
            slugs=article,
            older_than=datetime.timedelta(days=older_than) if older_than is not None else None,
        )
        pacer = Pacer(delay)
        counts: dict[str, int] = {}
        failed = 0
        for chosen, url in taking_turns(articles, per_host):
            pacer.wait_for(host_of(url))
            try:
                check = check_original(chosen)
            except Exception as exc:  # one page the archive cannot handle: the others go on
                failed += 1
                self.stdout.write(f"{url}\tnot recorded\t{exc.__class__.__name__}: {exc}")
                continue
            counts[check.outcome] = counts.get(check.outcome, 0) + 1
            line = f"{check.url}\t{check.outcome}\t{describe(check)}"
            if check.evidence_id:
                line += f" Captured as {check.evidence.get_absolute_url()}"
            if options["verbosity"] >= 1:
                self.stdout.write(line)
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
            self.stderr.write(f"Checked {sum(counts.values())} address(es): {summary or 'none'}.")
        if failed:
            raise CommandError(
                f"{failed} address(es) could not be checked because of an error in the archive "
                "(above); nothing was recorded for them."
            )
