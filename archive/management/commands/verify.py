"""The verify command: recompute every stored hash, and optionally check the search index."""

from django.core.management.base import BaseCommand, CommandError

from archive.integrity import INDEXED_MODELS, index_differences, verify_captures, verify_hashes
from archive.models import Article
from archive.related import lists_due
from archive.search.health import pairs_report, servers_report


class Command(BaseCommand):
    help = (
        "Recompute the SHA-256 of every article's body and text as received, and of every "
        "revision in its history, and of every capture's WARC file, and report each one that "
        "does not match what is stored. "
        "With --index, also check that the search index holds exactly the published articles, "
        "each as last saved, and that every running server process searches its current state. "
        "Exits non-zero on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--index",
            action="store_true",
            help=(
                "Also compare the articles in the search index with the published ones, and "
                "check which state of the index each running server process searches, and count "
                "the articles whose related documents are not worked out for their current text, "
                "and the index's segments written without word pairs (phrases slower there)."
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Rows read per database query (default 1000).",
        )

    def handle(self, *args, index, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        progress = None
        if options["verbosity"] >= 2:
            progress = lambda report: self.stderr.write(  # noqa: E731
                f"… {report.articles} article(s), {report.revisions} revision(s)"
            )
        hashes = verify_hashes(batch_size=batch_size, progress=progress)
        for mismatch in hashes.mismatches:
            self.stderr.write(f"MISMATCH {mismatch}")
        self.stdout.write(str(hashes))
        problems = len(hashes.mismatches)
        captures = verify_captures(batch_size=batch_size)
        for problem in captures.problems:
            self.stderr.write(f"MISMATCH {problem}")
        self.stdout.write(str(captures))
        problems += len(captures.problems)
        if index:
            for model in INDEXED_MODELS:
                differences = index_differences(model=model)
                (self.stdout if differences.in_line else self.stderr).write(str(differences))
                problems += len(differences.missing + differences.extra + differences.stale)
            servers = servers_report()
            if servers is not None:
                (self.stderr if servers.stale else self.stdout).write(str(servers))
                problems += len(servers.stale)
            # Searches find the same documents either way: reported, not a problem.
            pairs = pairs_report()
            if pairs is not None:
                self.stdout.write(str(pairs))
            # Derived and worked out again by themselves: reported, not a problem.
            due = len(lists_due(Article.objects.published()))
            self.stdout.write(
                f"Related documents: {due} published article(s) without an up-to-date list "
                "(sync_index works them out, or refresh_related)."
            )
        if problems:
            raise CommandError(f"{problems} problem(s) found.")
