"""The capture command: fetch pages by their addresses and archive each as an article."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.management.filing import add_filing_arguments, chosen_source
from archive.webcapture.records import CaptureError, capture_address

# Lists at least this long report their progress on stderr as they go.
LONG_LIST = 10


class Command(BaseCommand):
    help = (
        "Capture web pages by their addresses: keep each HTTP exchange as a WARC file under "
        "ARCHIVE_DATA_DIR and archive the page's article (text, title, author, publisher and "
        "date as the page states them). An address captured before gets a new capture of its "
        "article; nothing is overwritten. Prints one line per address: the address and the "
        "article's address, or why it failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="*", metavar="URL", help="Addresses to capture.")
        parser.add_argument(
            "--file",
            type=Path,
            help="A file of addresses, one a line (blank lines and lines starting # skipped).",
        )
        add_filing_arguments(parser)

    def handle(self, *args, urls, file, draft, source, **options):
        addresses = list(urls)
        if file is not None:
            addresses += addresses_in(file)
        if not addresses:
            raise CommandError("Give at least one address, or --file with addresses in it.")
        chosen = chosen_source(source)
        failed = 0
        for number, address in enumerate(addresses, start=1):
            if len(addresses) >= LONG_LIST and options["verbosity"] >= 1:
                self.stderr.write(f"[{number}/{len(addresses)}] {address}")
            try:
                result = capture_address(address, draft=draft, source=chosen)
            except CaptureError as exc:
                failed += 1
                self.stdout.write(f"{address}\tfailed: {exc}")
                continue
            self.stdout.write(f"{address}\t{result}")
        if failed:
            raise CommandError(f"{failed} of {len(addresses)} address(es) could not be captured.")


def addresses_in(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot be read ({exc}).") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
