"""Crawls made by other tools, read as captures: WARC files (wget --warc-file, ArchiveBox)
and WACZ files (Browsertrix), each HTML page with the WARC records of its exchange.

A crawl is read as a stream (warcio's ArchiveIterator), record by record, so a file of any
size is read in bounded memory; only the records of one page at a time are held. Each page
taken becomes a WARC file of its own, as a capture by address gets: a warcinfo record saying
where the records came from (the crawl file, its member, their offsets), then the crawl's own
warcinfo, the request and the response, copied byte for byte (a record of an uncompressed
crawl is gzip-compressed on its own, its bytes unchanged inside). The crawl's digests and
record ids stay valid; the capture's SHA-256 is that file's, checked by `verify`.

Taken: response records of status 200 with an HTML type. Skipped, and counted by reason:
revisit records (the crawler kept no new copy), redirects, other statuses, other types,
pages larger than ARCHIVE_CAPTURE_MAX_BYTES or in a content encoding warcio cannot undo
(zstd), and in a WACZ the HTML responses its page lists (pages/*.jsonl) do not name:
frames, embeds and other documents a browser loaded along the page, which are not articles.
"""

import datetime
import gzip
import io
import json
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.timeutils import iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from archive.webcapture.extract import HTML_TYPES
from archive.webcapture.warc import SOFTWARE

CRAWL_SUFFIXES = (".warc", ".warc.gz", ".wacz")
# A page's request is written just before or just after its response; records further
# apart than this are not looked at for it.
PAIRING_WINDOW = 16
WARCINFO_LIMIT = 256 * 1024
PROGRESS_EVERY = 5000  # records

# Why a record is not taken as a page, as the import's summary counts them.
REVISIT = "revisit record (no new copy kept by the crawler)"
REDIRECT = "redirect"
ERROR = "HTTP error or other status than 200"
NOT_HTML = "not HTML"
NOT_LISTED = "HTML not in the WACZ's page list (frames, embeds)"
TOO_LARGE = "larger than ARCHIVE_CAPTURE_MAX_BYTES"
UNDATED = "no WARC-Date (when it was captured is unknown)"
DAMAGED_CONTENT = "content that does not decompress (damaged)"
UNREADABLE_ENCODING = "in a content encoding the archive cannot read (not gzip, deflate or br)"
# What warcio undoes (br with the brotli package, a dependency of the project).
READABLE_ENCODINGS = {"identity", "gzip", "x-gzip", "deflate", "br"}


class CrawlError(Exception):
    """A crawl file that cannot be read (or read further); the message says why."""


@dataclass
class CrawlPage:
    """An HTML page read from a crawl, with what the archive's capture path needs of it."""

    url: str
    fetched_at: datetime.datetime  # the response's WARC-Date
    status: int
    content_type: str
    body: bytes  # the content, transfer and content encodings undone
    warc: bytes  # the capture's own WARC file (gzip), records copied from the crawl
    imported_from: str  # the crawl file's name, and its member in a WACZ

    @property
    def final_url(self) -> str:
        return self.url  # a crawl's redirect is a record of its own, skipped


@dataclass
class CrawlReading:
    """What reading crawl files found besides pages: skips by reason, records read."""

    records: int = 0
    skipped: Counter = field(default_factory=Counter)


def crawl_files(path: Path) -> list[Path]:
    """The crawl files at `path`: the file itself, or those in a directory (ArchiveBox's
    archive/<timestamp>/warc/ folders included), in name order."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and _is_crawl_file(p))
    if not path.exists():
        raise CrawlError(f"{path}: no such file or directory")
    if not _is_crawl_file(path):
        raise CrawlError(f"{path}: not a crawl file (expected .warc, .warc.gz or .wacz)")
    return [path]


def _is_crawl_file(path: Path) -> bool:
    return path.name.lower().endswith(CRAWL_SUFFIXES)


def crawl_pages(
    path: Path,
    *,
    max_bytes: int,
    reading: CrawlReading,
    progress: Callable[[str], None] | None = None,
) -> Iterator[CrawlPage]:
    """The HTML pages of one crawl file, in the order the crawl wrote them."""
    if path.name.lower().endswith(".wacz"):
        yield from _wacz_pages(path, max_bytes, reading, progress)
    else:
        source = _WarcSource(path.name, lambda: open(path, "rb"), path.stat().st_size)
        yield from _warc_pages(source, max_bytes, reading, progress, listed=None)


@dataclass
class _WarcSource:
    """A WARC stream: its name for messages and provenance, and how to open it (twice: once
    to iterate, once to copy records from by their offsets)."""

    name: str
    open: Callable[[], io.BufferedIOBase]
    size: int


def _wacz_pages(path, max_bytes, reading, progress) -> Iterator[CrawlPage]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise CrawlError(f"{path}: not a readable WACZ (zip) file ({exc})") from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if info.filename.startswith("archive/")
            and info.filename.lower().endswith((".warc", ".warc.gz"))
        ]
        if not members:
            raise CrawlError(f"{path}: a WACZ file with no WARC files under archive/")
        try:
            listed = _listed_pages(archive, path)
        except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as exc:
            raise CrawlError(f"{path}: its page list cannot be read ({exc})") from None
        for info in members:
            with _member_source(path, archive, info) as source:
                yield from _warc_pages(source, max_bytes, reading, progress, listed)


def _listed_pages(archive: zipfile.ZipFile, path: Path) -> set[str] | None:
    """The addresses the WACZ lists as its pages (pages/*.jsonl), or None if it lists none."""
    listed = set()
    for name in archive.namelist():
        if not (name.startswith("pages/") and name.endswith(".jsonl")):
            continue
        with archive.open(name) as stream:
            for number, line in enumerate(io.TextIOWrapper(stream, "utf-8"), start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    raise CrawlError(f"{path}: {name} line {number} is not JSON") from None
                if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                    listed.add(page_key(entry["url"]))
    return listed or None


@contextmanager
def _member_source(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    name = f"{path.name} ({info.filename})"
    if info.compress_type == zipfile.ZIP_STORED:
        # As WACZ files store them: the member's bytes lie in the zip file as they are.
        start = _member_data_offset(path, info)
        yield _WarcSource(name, lambda: _Window(path, start, info.file_size), info.file_size)
        return
    # Compressed in the zip: copied out once, so records can be read back by their offsets.
    with tempfile.TemporaryDirectory(prefix="crawl-") as folder:
        copy = Path(folder) / "member.warc"
        try:
            with archive.open(info) as member, open(copy, "wb") as out:
                shutil.copyfileobj(member, out, 1024 * 1024)
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise CrawlError(f"{name}: cannot be read from the zip file ({exc})") from None
        yield _WarcSource(name, lambda: open(copy, "rb"), info.file_size)


def _member_data_offset(path: Path, info: zipfile.ZipInfo) -> int:
    with open(path, "rb") as stream:
        stream.seek(info.header_offset)
        header = stream.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise CrawlError(f"{path}: the zip entry {info.filename} is damaged")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


class _Window(io.RawIOBase):
    """A slice of a file, read as a file of its own (a stored zip member)."""

    def __init__(self, path: Path, start: int, size: int):
        self._file = open(path, "rb")
        self._start, self._size, self._position = start, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, min(self._size, base + offset))
        return self._position

    def readinto(self, buffer):
        count = min(len(buffer), self._size - self._position)
        if count <= 0:
            return 0
        self._file.seek(self._start + self._position)
        data = self._file.read(count)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self):
        self._file.close()
        super().close()


@dataclass
class _Record:
    """Where a record lies in its WARC stream, and what pairing needs of it."""

    number: int  # its place in the stream, from 1
    kind: str
    record_id: str
    url: str
    concurrent_to: str
    date: str
    offset: int
    length: int


def _warc_pages(source: _WarcSource, max_bytes, reading, progress, listed) -> Iterator[CrawlPage]:
    with source.open() as stream, source.open() as copies:
        gzipped = stream.read(2) == b"\x1f\x8b"
        stream.seek(0)
        records = ArchiveIterator(stream)
        warcinfo = None
        requests: OrderedDict[str, _Record] = OrderedDict()  # the last few, by record id
        waiting: list[_Record] = []  # HTML responses whose request may come next

        def page(response: _Record, request: _Record | None) -> Iterator[CrawlPage]:
            found = _page(source, copies, gzipped, warcinfo, response, request, max_bytes)
            if isinstance(found, str):
                reading.skipped[found] += 1
            else:
                yield found

        number, end = 0, 0
        while (record := _next_record(records, source, number)) is not None:
            number += 1
            reading.records += 1
            kind = record.rec_type
            taken = kind == "response" and _page_kind(record, listed, max_bytes)
            if kind == "revisit":
                reading.skipped[REVISIT] += 1
            elif kind == "response" and taken is not True:
                reading.skipped[taken] += 1
            _read_to_end(records, record, source, number)
            offset = records.get_record_offset()
            headers = record.rec_headers
            located = _Record(
                number,
                kind,
                headers.get_header("WARC-Record-ID") or "",
                headers.get_header("WARC-Target-URI") or "",
                headers.get_header("WARC-Concurrent-To") or "",
                headers.get_header("WARC-Date") or "",
                offset,
                records.get_record_length(),
            )
            end = offset + located.length
            if kind == "warcinfo" and located.length <= WARCINFO_LIMIT:
                warcinfo = located
            elif kind == "request":
                requests[located.record_id] = located
                while len(requests) > PAIRING_WINDOW:
                    requests.popitem(last=False)
                for response in [r for r in waiting if _paired(r, located)]:
                    waiting.remove(response)
                    yield from page(response, located)
            elif taken is True:
                request = next(
                    (r for r in reversed(requests.values()) if _paired(located, r)), None
                )
                if request is None:
                    waiting.append(located)
                else:
                    yield from page(located, request)
            # A response that waited this long for its request has none in the file.
            while waiting and number - waiting[0].number > PAIRING_WINDOW:
                yield from page(waiting.pop(0), None)
            if progress and number % PROGRESS_EVERY == 0:
                progress(
                    f"{source.name}: {number:,} records read "
                    f"({stream.tell() / max(source.size, 1):.0%} of the file)"
                )
        for response in waiting:
            yield from page(response, None)
        copies.seek(end)
        if copies.read(64).strip(b"\r\n"):
            # warcio ends quietly at a record it cannot begin to read: a crawl cut short.
            raise CrawlError(
                f"{source.name}: the file ends inside a record, after record {number} "
                "(a crawl cut short?)"
            )


# What warcio raises on a file that is not WARC, or damaged, beyond its own exception.
UNREADABLE = (ArchiveLoadFailed, EOFError, ValueError, AttributeError, zlib.error)


def _next_record(records: ArchiveIterator, source: _WarcSource, number: int):
    try:
        return next(records, None)
    except UNREADABLE as exc:
        raise _unreadable(source, number, exc) from None


def _read_to_end(records: ArchiveIterator, record, source: _WarcSource, number: int) -> None:
    try:
        records.read_to_end(record)
    except UNREADABLE as exc:
        raise _unreadable(source, number - 1, exc) from None
    if getattr(record.raw_stream, "limit", 0) > 0:
        raise CrawlError(
            f"{source.name}: the file ends inside record {number}, "
            f"{record.rec_headers.get_header('WARC-Target-URI') or ''} (a crawl cut short?)"
        )


def _unreadable(source: _WarcSource, number: int, exc: Exception) -> CrawlError:
    message = " ".join(str(exc).split()) or exc.__class__.__name__
    return CrawlError(
        f"{source.name}: not a readable WARC file after {number} record(s) ({message})"
    )


def _page_kind(record, listed: set[str] | None, max_bytes: int):
    """True if this response record is a page to take, or why it is not."""
    http = record.http_headers
    if http is None:  # a response of another protocol than HTTP (dns:, ...)
        return NOT_HTML
    try:
        status = int(http.get_statuscode())
    except (TypeError, ValueError):
        return ERROR
    if 300 <= status < 400:
        return REDIRECT
    if status != 200:
        return ERROR
    media_type = (http.get_header("Content-Type") or "").split(";", 1)[0].strip().lower()
    if media_type not in HTML_TYPES:
        return NOT_HTML
    if listed is not None and page_key(record.rec_headers.get_header("WARC-Target-URI")) not in (
        listed
    ):
        return NOT_LISTED
    if not record.rec_headers.get_header("WARC-Date"):
        return UNDATED
    encoding = (http.get_header("Content-Encoding") or "identity").strip().lower()
    if encoding not in READABLE_ENCODINGS:
        return UNREADABLE_ENCODING
    length = record.rec_headers.get_header("Content-Length") or "0"
    if length.isdigit() and int(length) > 2 * max_bytes:
        return TOO_LARGE  # even compressed, more than the limit allows
    return True


def page_key(url: str | None) -> str:
    """An address as a page list and a WARC record may each write it: the scheme and host
    in lower case, an empty path as "/", without a fragment."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return url or ""
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def _paired(response: _Record, request: _Record) -> bool:
    """Whether `request` asked for `response`: linked by WARC-Concurrent-To either way (wget
    links the response to its request, Browsertrix the request to its response), or, with
    no link, the same address."""
    if response.concurrent_to or request.concurrent_to:
        return request.record_id == response.concurrent_to or (
            request.concurrent_to == response.record_id
        )
    return request.url == response.url


def _raw(copies, record: _Record, gzipped: bool) -> bytes:
    """The record's bytes as the crawl file holds them, as a gzip member."""
    copies.seek(record.offset)
    data = copies.read(record.length)
    if gzipped:
        return data
    # An uncompressed record ends with two CRLFs, which its length does not count.
    return gzip.compress(data + b"\r\n\r\n", mtime=0)


def _page(source, copies, gzipped, warcinfo, response, request, max_bytes) -> CrawlPage | str:
    """The page of this response, with its WARC; or why its content cannot be taken."""
    response_bytes = _raw(copies, response, gzipped)
    record = next(ArchiveIterator(io.BytesIO(response_bytes)))
    content = record.content_stream()
    body = content.read(max_bytes + 1)
    if len(body) > max_bytes:
        return TOO_LARGE
    encoding = record.http_headers.get_header("Content-Encoding")
    if encoding and getattr(content, "decompressor", True) is None:
        # warcio gives up on content that does not decompress and passes it on as it is.
        return DAMAGED_CONTENT
    http = record.http_headers
    copied = [r for r in (warcinfo, request) if r is not None]
    parts = sorted(
        [*((r, _raw(copies, r, gzipped)) for r in copied), (response, response_bytes)],
        key=lambda part: part[0].offset,
    )
    fetched_at = iso_date_to_datetime(response.date).replace(tzinfo=datetime.UTC)
    return CrawlPage(
        url=response.url,
        fetched_at=fetched_at,
        status=int(http.get_statuscode()),
        content_type=http.get_header("Content-Type") or "",
        body=body,
        warc=_capture_warc(source, parts),
        imported_from=source.name,
    )


def _capture_warc(source: _WarcSource, parts: list[tuple[_Record, bytes]]) -> bytes:
    """The capture's WARC file: a warcinfo record of the archive's saying where the others
    come from, then the crawl's records, unchanged."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    copied = "; ".join(
        f"{record.kind} {record.record_id} at offset {record.offset}" for record, _ in parts
    )
    info = writer.create_warcinfo_record(
        "capture.warc.gz",
        {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "imported-from": source.name,
            "copied-records": copied,
            "description": (
                "Imported from a crawl made by another tool: the records after this one are "
                "copied unchanged from the file named in imported-from."
            ),
        },
    )
    writer.write_record(info)
    for _, data in parts:
        out.write(data)
    return out.getvalue()
