"""The WARC file of a capture: every request and response as they crossed the wire.

One gzip-compressed WARC a capture, written with warcio: a warcinfo record naming the
address asked for and the final one, then a request and a response record for each
exchange, redirects first. The file is the evidentiary copy; its SHA-256 is stored with the
capture and checked by `manage.py verify`.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import brotli
from django.conf import settings
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.warcwriter import WARCWriter

from archive.webcapture.fetch import Fetched

SOFTWARE = "uyghur-archive capture (warcio 1.8.1)"
BROTLI_STEP = 64 * 1024  # output bytes per brotli call


class BrotliDecompressor:
    """Content-Encoding: br for warcio's readers, as browsers' crawls often keep pages.

    warcio's own hook fails on the brotli package's Decompressor (it sets an attribute
    the object does not take), so this one takes its place: the interface warcio calls
    (`decompress`, `unused_data`, `flush`) over brotli's, giving out the output in steps
    and stopping just past ARCHIVE_CAPTURE_MAX_BYTES (a small body can expand a
    millionfold): the reader then sees content over the limit and refuses it. (An exception
    would not do: warcio takes a decompressor that raises for a sign of uncompressed data.)
    """

    unused_data = None

    def __init__(self):
        self._decompressor = brotli.Decompressor()
        self._given = 0
        self._limit = settings.ARCHIVE_CAPTURE_MAX_BYTES

    def decompress(self, data: bytes) -> bytes:
        if self._given > self._limit:
            return b""
        parts = [self._decompressor.process(data, output_buffer_limit=BROTLI_STEP)]
        # brotli gives out what one input holds over several calls without input.
        while parts[-1] or not self._decompressor.can_accept_more_data():
            self._given += len(parts[-1])
            if self._given > self._limit:
                break
            parts.append(self._decompressor.process(b"", output_buffer_limit=BROTLI_STEP))
        return b"".join(parts)

    def flush(self) -> bytes:
        return b""


BufferedReader.DECOMPRESSORS["br"] = BrotliDecompressor


def warc_bytes(fetched: Fetched) -> bytes:
    """The WARC file of this fetch, gzip-compressed record by record."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    date = fetched.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    info = writer.create_warcinfo_record(
        "capture.warc.gz",
        {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "url-asked": fetched.url,
            "final-url": fetched.final_url,
            "redirects": str(len(fetched.exchanges) - 1),
        },
    )
    info.rec_headers.replace_header("WARC-Date", date)
    writer.write_record(info)
    for exchange in fetched.exchanges:
        headers = {"WARC-Date": date, "WARC-IP-Address": exchange.ip}
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request),
            length=len(exchange.request),
            warc_headers_dict=dict(headers),
        )
        response = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.response),
            length=len(exchange.response),
            warc_headers_dict=dict(headers),
        )
        writer.write_request_response_pair(request, response)
    return out.getvalue()


def captures_root() -> Path:
    return Path(settings.DATA_DIR)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class CapturedPage:
    """The final response of a WARC: its address, headers and content (encodings undone)."""

    url: str
    status: int
    content_type: str
    content: bytes


def final_page(path: Path) -> CapturedPage:
    """The last response record of the WARC at `path`: the page the redirects led to."""
    page = None
    try:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                page = CapturedPage(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    status=int(record.http_headers.get_statuscode()),
                    content_type=record.http_headers.get_header("Content-Type") or "",
                    content=record.content_stream().read(),
                )
    except ArchiveLoadFailed as exc:
        raise ValueError(f"{path}: not a readable WARC file ({exc})") from None
    if page is None:
        raise ValueError(f"{path}: the WARC file holds no response")
    return page
