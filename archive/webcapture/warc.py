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

from django.conf import settings
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.warcwriter import WARCWriter

from archive.webcapture.fetch import Fetched

SOFTWARE = "uyghur-archive capture (warcio 1.8.1)"


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
