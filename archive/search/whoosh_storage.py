"""Whoosh's file storage with each segment read in place from a memory map, never copied.

Whoosh 2.7.4 memory-maps a compound segment (`.seg`), then hands out each
file inside it as a `BufferFile`, whose `BytesIO(memoryview)` copies the
file into the process's own memory. Every searcher that opens a segment
(one per server thread, and a writer's when it finds the documents it
replaces) so kept its own private copy of the whole index: about 0.8 GB per
thread at 100,000 articles, and most of a second to make.

`MappedFileStorage` opens a segment file as a `MappedFile` over the map
itself. Whoosh's compound storage then finds no `fileno` to map the file
again, and takes each inner file with `subset()`, which here is a slice of
the same map. Pages are read from the operating system's page cache on
demand and shared by every thread and worker process reading the index;
what a reader decodes is copied only as far as it reads (`get()`, `read()`).

Whoosh never writes into a segment file once it is committed (deletions go
in the table of contents), and a rebuild deletes segment files but never
truncates them, so a mapped file stays readable as long as a searcher holds
it. The maps are read-only.
"""

import mmap
import os

from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile


class MappedSpan:
    """A read-only file object over a memoryview: a read copies only the bytes it returns."""

    __slots__ = ("_view", "_pos", "_size")

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0
        self._size = len(view)

    def read(self, size=-1) -> bytes:
        start = self._pos
        end = self._size if size is None or size < 0 else min(self._size, start + size)
        if end <= start:
            return b""
        self._pos = end
        return self._view[start:end].tobytes()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size=-1) -> bytes:
        """Up to and including the next newline (pickle's loader asks for it to exist)."""
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        start = position = self._pos
        while position < end:
            piece = self._view[position : min(end, position + 256)].tobytes()
            newline = piece.find(b"\n")
            if newline >= 0:
                position += newline + 1
                break
            position += len(piece)
        self._pos = position
        return self._view[start:position].tobytes()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._pos
        elif whence == os.SEEK_END:
            offset += self._size
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._pos = offset
        return offset

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        # The view (and the map under it) goes when the last reader of it does.
        self._view = memoryview(b"")
        self._size = self._pos = 0


class MappedFile(BufferFile):
    """Whoosh's `BufferFile` reading from the memoryview it was given, not from a copy of it."""

    def __init__(self, view: memoryview, name=None, onclose=None):
        # BufferFile.__init__ would wrap the view in a BytesIO, copying it.
        self._buf = view
        self._name = name
        self.file = MappedSpan(view)
        self.onclose = onclose
        self.is_real = False  # no fileno: CompoundStorage uses subset() rather than map again
        self.is_closed = False

    def subset(self, position, length, name=None):
        return MappedFile(self._buf[position : position + length], name=name or self._name)


class MappedFileStorage(FileStorage):
    """A `FileStorage` whose compound segment files are memory maps read in place."""

    def open_file(self, name, **kwargs):
        if not name.endswith(Segment.COMPOUND_EXT):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as stream:
            if os.fstat(stream.fileno()).st_size == 0:  # nothing to map; Whoosh will complain
                return super().open_file(name, **kwargs)
            mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(memoryview(mapped), name=name, **kwargs)
