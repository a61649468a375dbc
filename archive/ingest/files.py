"""Find the files to import and open them, turning the system's refusals into clear messages."""

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from archive.ingest.records import InputError

SEED_TEXT = ".txt"
JSON_LINES = ".jsonl"
GZIPPED_JSON_LINES = ".jsonl.gz"
IMPORTABLE = (GZIPPED_JSON_LINES, JSON_LINES, SEED_TEXT)


def file_format(path: Path) -> str | None:
    """The importable format of `path`, judged by its name, or None."""
    name = path.name.lower()
    return next((suffix for suffix in IMPORTABLE if name.endswith(suffix)), None)


def find_input_files(directory: Path) -> list[Path]:
    """The importable files anywhere under `directory`, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and file_format(p))


def why_unreadable(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return f"cannot be read ({exc.strerror or exc})"


@contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed if its name ends in .gz."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(path, why_unreadable(exc)) from None
    with raw:
        if path.name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield unzipped
        else:
            yield raw


def decode_utf8(data: bytes, path: Path, line: int | None = None) -> str:
    """`data` as text; input that is not UTF-8 is refused rather than guessed at."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if line is None:
            line = data.count(b"\n", 0, exc.start) + 1
        problem = (
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded; "
            "convert the file to UTF-8 and import it again"
        )
        raise InputError(path, problem, line) from None
