"""A server's searcher reads the index from its memory map in place: a worker holds no private copy
of the index (Whoosh's own storage copies every segment file it opens into memory)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.search.whoosh_storage import MappedFileStorage, MappedSpan

ROOT = Path(__file__).resolve().parent.parent
BIG_DOCUMENT_MB = 6


def write_one_segment(backend, large_mb: int = BIG_DOCUMENT_MB) -> int:
    """One small document, then three of `large_mb` MB, in one segment; its size in bytes."""
    backend.setup()
    writer = backend.index.writer()
    for n in range(4):
        size = 10 if n == 0 else large_mb * 2**20 // 2
        writer.add_document(
            id=f"archive.article.{n}",
            django_ct="archive.article",
            django_id=str(n),
            version=os.urandom(size).hex(),  # stored only, so it fills the segment quickly
        )
    writer.commit()
    del writer
    return sum(
        os.path.getsize(os.path.join(backend.path, name))
        for name in os.listdir(backend.path)
        if name.endswith(".seg")
    )


# A fresh process, as a server worker is: memory freed by the test's own writing would be reused.
READ_ONE_DOCUMENT = """
import json, sys
from whoosh.filedb.filestore import FileStorage
from archive.search.whoosh_storage import MappedFileStorage

def anonymous_mb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024

storage = {"mapped": MappedFileStorage, "whoosh": FileStorage}[sys.argv[2]](sys.argv[1])
index = storage.open_index()
before = anonymous_mb()
searcher = index.searcher()
django_id = searcher.stored_fields(0)["django_id"]
print(json.dumps({"grew": anonymous_mb() - before, "django_id": django_id}))
"""


def private_memory_to_read_one_document(index_dir, storage: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", READ_ONE_DOCUMENT, index_dir, storage],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["django_id"] == "0"
    return answer["grew"]


@pytest.mark.slow  # two Python processes and a 10 MB segment: about 4 s
def test_reading_one_document_does_not_copy_the_segment_into_memory(search_index):
    segment_mb = write_one_segment(search_index) / 2**20
    assert segment_mb > BIG_DOCUMENT_MB  # the large values are in the file (compressed)
    assert isinstance(search_index.index.storage, MappedFileStorage)

    grew = private_memory_to_read_one_document(search_index.path, "mapped")
    assert grew < segment_mb / 4, f"{grew:.1f} MB private memory for a {segment_mb:.1f} MB segment"
    # Whoosh's own storage copies the file of stored values when the first one is read:
    # the measurement can tell.
    copied = private_memory_to_read_one_document(search_index.path, "whoosh")
    assert copied > segment_mb / 2, f"Whoosh: {copied:.1f} MB for a {segment_mb:.1f} MB segment"


def test_the_archive_opens_its_index_on_the_mapped_storage_after_a_rebuild(search_index):
    write_one_segment(search_index, large_mb=0)
    search_index.delete_index()  # what rebuild_index does first; setup() opens the index again
    assert isinstance(search_index.index.storage, MappedFileStorage)
    write_one_segment(search_index, large_mb=0)
    assert search_index.searcher().stored_fields(0)["django_id"] == "0"


def test_a_mapped_file_reads_seeks_and_reads_lines_like_a_file():
    data = b"first line\nsecond\n" + bytes(range(256))
    span = MappedSpan(memoryview(data))
    assert span.readline() == b"first line\n"
    assert span.read(3) == b"sec"
    assert span.tell() == 14
    span.seek(-256, os.SEEK_END)
    assert span.read(2) == b"\x00\x01"
    span.seek(2, os.SEEK_CUR)
    buffer = bytearray(2)
    assert span.readinto(buffer) == 2 and bytes(buffer) == b"\x04\x05"
    span.seek(len(data) + 5)
    assert span.read() == b"" and span.readline() == b""
