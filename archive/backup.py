"""Export the whole archive to JSON Lines, and restore such a file into an empty database.

The file holds every row of the archive's tables (sources, articles with
their text as received and hashes, entities, aliases, mentions, related
links, entity redirects, and the history of all of them), primary keys
included, so a restore is the same archive: same addresses, same hashes,
same history. One JSON object per line:

    {"format": "uyghur-archive-export", "version": 5, "exported_at": "…"}
    {"model": "auth.user", "fields": {"username": "…", …}}      who made the history
    {"model": "archive.source", "pk": 1, "fields": {…}}          Django's serializer shape
    …
    {"end": "uyghur-archive-export", "counts": {"archive.source": 3, …}}

    {"file": "captures/2026/1.warc.gz", "sha256": "…", "base64": "…"}  a capture's WARC
    …

The last line says how many records of each kind came before it, so a file
cut short is refused rather than restored in part. Editors' accounts carry
no password: a restored account must be given a new one.

Version 2 numbers paragraphs as readers see them, ¶1 first (archive.paragraphs);
version 1 counted them from 0. A version 1 file is still restored: its tags'
and quotes' paragraph numbers, history included, are converted as they are read.
Version 3 keeps an entity's notes for editors as `notes` and its text for
readers as `public_description`; before it, the notes were its `description`,
and they are restored as notes, never shown to readers.

Version 4 adds captures from the web (archive.webcapture): their rows, and after all the
rows each capture's WARC file, base64-encoded, with its SHA-256. A restore writes the files
back under ARCHIVE_DATA_DIR, checks each against its capture, and removes those it wrote if
anything fails. Versions 1 to 3, which hold no captures, are still restored.

Version 5 adds the checks of the originals (`archive.originalcheck`, manage.py
check_originals): what each original address answered when asked again, with the capture
kept as evidence when it had changed or moved. Versions 1 to 4 hold none and are still
restored: the restored archive has simply never checked its originals.
"""

import base64
import binascii
import datetime
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Model
from django.utils import timezone
from haystack import connection_router, connections
from haystack.management.commands.update_index import Command as HaystackUpdateIndex

from archive.articles import article_changed
from archive.integrity import text_hash_problems
from archive.models import Article, Capture, IndexQueue
from archive.paragraphs import number_of
from archive.search.indexing import bring_index_in_line

FORMAT = "uyghur-archive-export"
VERSION = 5
# Versions this code restores; before 2, tags and quotes counted paragraphs from 0; before 4
# there were no captures; before 5, no checks of the originals.
READABLE_VERSIONS = (1, 2, 3, 4, 5)
COUNTED_FROM_ZERO_BEFORE = 2
# Before 3, an entity's notes for editors were its "description" (migration 0011).
NOTES_RENAMED_BEFORE = 3
RENAMED_BEFORE_NOTES = {
    "archive.entity": {"description": "notes"},
    "archive.historicalentity": {"description": "notes"},
}
PARAGRAPH_NUMBERED = {
    "archive.mention",
    "archive.historicalmention",
    "archive.quote",
    "archive.historicalquote",
}
USER_LABEL = "auth.user"
FILE_LABEL = "files"
# Derived from the rest: a restore rebuilds the search index from the articles.
NOT_EXPORTED = {"archive.indexqueue", "archive.relatedlist"}  # derived, computed again
BATCH = 1000
USER_FIELDS = ("username", "first_name", "last_name", "email", "is_staff", "is_active")


class RestoreError(Exception):
    """The file cannot be restored, or not into this database; nothing was written."""


def exported_models() -> list[type[Model]]:
    """Every table of the archive but the index queue and the related lists (both derived, made
    again after a restore), in the order dumpdata writes them.

    That is Django's `serializers.sort_dependencies`: the order the models are
    declared in archive/models.py (each after the tables it refers to), models a
    natural key depends on first; the history follows the tables it records.
    The order is for a reader of the file: a restore, like loaddata, writes every
    row in one transaction and checks the references before it commits.
    """
    app = apps.get_app_config("archive")
    models = [
        model
        for model in serializers.sort_dependencies([(app, None)], allow_cycles=True)
        if model._meta.label_lower not in NOT_EXPORTED
    ]
    return sorted(models, key=lambda model: hasattr(model, "instance_type"))  # stable


def _historical_models() -> set[type[Model]]:
    return {m for m in exported_models() if hasattr(m, "instance_type")}


# Export.


def export_archive(path: Path, progress: Callable[[str, int], None] | None = None) -> dict:
    """Write the whole archive to `path` (gzip-compressed if it ends in .gz); return the counts.

    The file is written beside its final name and renamed when complete, so
    an interrupted export never leaves a file that looks whole. The rows are
    read in batches, all from one snapshot of the database.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    counts: dict[str, int] = {}
    try:
        with _open_for_writing(partial) as out, _one_snapshot():
            _write(out, {"format": FORMAT, "version": VERSION, "exported_at": timezone.now()})
            usernames = _history_usernames()
            for record in _user_records(usernames):
                _write(out, record)
                counts[USER_LABEL] = counts.get(USER_LABEL, 0) + 1
            historical = _historical_models()
            for model in exported_models():
                label = model._meta.label_lower
                counts[label] = 0
                for record in _model_records(model):
                    if model in historical:
                        user_id = record["fields"]["history_user"]
                        record["fields"]["history_user"] = usernames.get(user_id)
                    _write(out, record)
                    counts[label] += 1
                if progress:
                    progress(label, counts[label])
            counts[FILE_LABEL] = 0
            for record in _warc_file_records():
                _write(out, record)
                counts[FILE_LABEL] += 1
            if progress:
                progress(FILE_LABEL, counts[FILE_LABEL])
            _write(out, {"end": FORMAT, "counts": counts})
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


class _ExactEncoder(DjangoJSONEncoder):
    """Times to the microsecond (Django's encoder keeps milliseconds): a restore changes nothing."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _write(out: TextIO, record: dict) -> None:
    out.write(json.dumps(record, cls=_ExactEncoder, ensure_ascii=False))
    out.write("\n")


@contextmanager
def _open_for_writing(path: Path) -> Iterator[TextIO]:
    if path.name.endswith(".gz.partial") or path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8", newline="\n") as out:
            yield out
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            yield out


@contextmanager
def _one_snapshot():
    """Read every table as of one moment, without holding up editors who save meanwhile."""
    if connection.in_atomic_block:  # already inside a transaction: it is the snapshot
        yield
        return
    if connection.vendor == "sqlite":
        # A deferred transaction takes no lock; in WAL mode its reads all see
        # the database as of its first read while other processes write.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
    elif connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:
        with transaction.atomic():
            yield


def _history_usernames() -> dict[int, str]:
    """The accounts named in the history, by id: the editors who made the revisions."""
    user_ids = set()
    for model in _historical_models():
        user_ids.update(
            model.objects.exclude(history_user=None)
            .values_list("history_user_id", flat=True)
            .distinct()
        )
    return dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username"))


def _user_records(usernames: dict[int, str]) -> Iterator[dict]:
    users = User.objects.filter(pk__in=usernames).order_by("pk").prefetch_related("groups")
    for user in users:
        fields = {name: getattr(user, name) for name in USER_FIELDS}
        fields["groups"] = sorted(group.name for group in user.groups.all())
        yield {"model": USER_LABEL, "fields": fields}


def _model_records(model: type[Model]) -> Iterator[dict]:
    """The rows of `model` in Django's serializer shape, in key order, a batch per query."""
    rows = model._base_manager.order_by("pk")
    last = None
    while True:
        batch = list((rows if last is None else rows.filter(pk__gt=last))[:BATCH])
        yield from serializers.serialize("python", batch)
        if len(batch) < BATCH:
            return
        last = batch[-1].pk


def _warc_file_records() -> Iterator[dict]:
    """Each capture's WARC file, as it is on disk (verify says if one is missing or altered)."""
    for capture in Capture.objects.order_by("pk").only("warc_path").iterator():
        content = capture.warc_file.read_bytes()
        yield {
            "file": capture.warc_path,
            "sha256": hashlib.sha256(content).hexdigest(),
            "base64": base64.b64encode(content).decode("ascii"),
        }


# Restore.


@dataclass
class RestoreReport:
    counts: dict[str, int] = field(default_factory=dict)
    index_problem: str = ""

    def __str__(self):
        return f"Restored {_kinds(self.counts)}."


def restore_archive(path: Path, progress: Callable[[str], None] | None = None) -> RestoreReport:
    """Read an export back into an empty database, keys and hashes as they were.

    Everything is written in one transaction: a file that is malformed, cut
    short, altered (a text that does not match its hash) or inconsistent
    leaves the database as it was and raises RestoreError. Afterwards the
    search index is rebuilt from the restored articles.
    """
    path = Path(path)
    _refuse_unless_empty()
    report = RestoreReport()
    written: list[Path] = []
    try:
        with _open_for_reading(path) as lines, transaction.atomic():
            report.counts = _load(path, lines, progress, written)
            _check_warc_files(path)
            restored_queue = _finish_restore()
    except BaseException:
        for file in written:
            file.unlink(missing_ok=True)
        raise
    if progress:
        progress("rebuilding the search index")
    report.index_problem = _rebuild_index(restored_queue)
    return report


def _finish_restore() -> int | None:
    """Check the restored rows' references, reset the keys' sequences, queue the index."""
    models = exported_models()
    _check_references(models)
    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        with connection.cursor() as cursor:
            cursor.execute(sql)
    # The tags and quotes came with the texts: only the index must follow.
    # Queued in the same transaction: should the rebuild below fail, the
    # queue still knows every article the index must take.
    article_changed(Article.objects.values_list("pk", flat=True), text_changed=False, flush=False)
    return IndexQueue.objects.aggregate(last=Max("id"))["last"]


def _check_warc_files(path: Path) -> None:
    """Every restored capture found its WARC file in the export (checked before the commit)."""
    for capture in Capture.objects.only("warc_path", "warc_sha256"):
        if not capture.warc_file.is_file():
            raise RestoreError(
                f"{path}: capture {capture.pk}'s WARC file {capture.warc_path} is not in the "
                "file. Nothing was restored."
            )


def _refuse_unless_empty() -> None:
    held = {
        model._meta.verbose_name_plural: model._base_manager.count()
        for model in exported_models()
        if not hasattr(model, "instance_type")
    }
    held = {name: count for name, count in held.items() if count}
    revisions = sum(m._base_manager.count() for m in _historical_models())
    if revisions:
        held["revisions in the history"] = revisions
    if held:
        what = ", ".join(f"{count} {name}" for name, count in held.items())
        raise RestoreError(
            f"The database already holds {what}. A restore only goes into an empty database: "
            "point DATABASE_URL at a new one and run `manage.py migrate` first. "
            "Nothing was changed."
        )


@contextmanager
def _open_for_reading(path: Path) -> Iterator[Iterator[tuple[int, str]]]:
    if not path.is_file():
        raise RestoreError(f"{path}: no such file.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="\n") as stream:
            yield _numbered(path, stream)
    except UnicodeDecodeError:
        raise RestoreError(f"{path}: not UTF-8 text. Nothing was restored.") from None
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        raise RestoreError(
            f"{path}: cannot be read ({exc}): not gzip, or cut short. Nothing was restored."
        ) from None


def _numbered(path: Path, stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def _nonzero(counts: dict) -> dict:
    return {label: count for label, count in counts.items() if count}


def _kinds(counts) -> str:
    if not isinstance(counts, dict):
        return "nothing readable"
    return ", ".join(f"{count} {label}" for label, count in _nonzero(counts).items()) or "nothing"


class _BadRecord(Exception):
    """What is wrong with one line of the file; _load adds the line number."""


def _load(path: Path, lines, progress, written: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    user_ids: dict[str, int] = {}
    state = {"started": False, "ended": False, "written": written}
    number = 0
    for number, line in lines:
        try:
            label = _load_line(line, state, counts, user_ids)
        except _BadRecord as exc:
            raise RestoreError(f"{path}, line {number}: {exc}. Nothing was restored.") from None
        if label:
            counts[label] = counts.get(label, 0) + 1
            if progress and counts[label] % 10_000 == 0:
                progress(f"{counts[label]} {label}")
    if number == 0:
        raise RestoreError(f"{path}: the file is empty. Nothing was restored.")
    if not state["ended"]:
        raise RestoreError(
            f"{path}: the file ends at line {number} without its closing line: it was cut "
            "short. Nothing was restored."
        )
    return counts


def _load_line(line: str, state: dict, counts: dict, user_ids: dict) -> str | None:
    """Store the record on `line`; return its kind, or None for the opening and closing lines."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadRecord(f"not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise _BadRecord("not a JSON object")
    if not state["started"]:
        version = record.get("version")
        if record.get("format") != FORMAT or version not in READABLE_VERSIONS:
            raise _BadRecord(
                f"not an export of this archive (format {FORMAT!r}, version "
                f"{', '.join(map(str, READABLE_VERSIONS[:-1]))} or {READABLE_VERSIONS[-1]})"
            )
        state["started"], state["version"] = True, version
        return None
    if state["ended"]:
        raise _BadRecord("records after the closing line")
    if "end" in record:
        stated = record.get("counts")
        if not isinstance(stated, dict) or _nonzero(stated) != _nonzero(counts):
            raise _BadRecord(
                f"the closing line says the file holds {_kinds(stated)}, "
                f"but it holds {_kinds(counts)}"
            )
        state["ended"] = True
        return None
    if "file" in record:
        _restore_file(record, state["written"])
        return FILE_LABEL
    label = record.get("model")
    if label == USER_LABEL:
        username, user_id = _restore_user(record)
        user_ids[username] = user_id
        return label
    if label not in {model._meta.label_lower for model in exported_models()}:
        raise _BadRecord(f"unknown kind of record {label!r}")
    fields = record.get("fields")
    if not isinstance(fields, dict):
        raise _BadRecord(f"a {label} record without fields")
    if label in {model._meta.label_lower for model in _historical_models()}:
        username = fields.get("history_user")
        if username is not None and username not in user_ids:
            raise _BadRecord(f"the history names an editor, {username!r}, not listed before it")
        fields["history_user"] = user_ids.get(username)
    if label in PARAGRAPH_NUMBERED and state["version"] < COUNTED_FROM_ZERO_BEFORE:
        _number_paragraph_from_one(fields)
    if label in RENAMED_BEFORE_NOTES and state["version"] < NOTES_RENAMED_BEFORE:
        for old, new in RENAMED_BEFORE_NOTES[label].items():
            if old in fields:
                fields[new] = fields.pop(old)
    _restore_row(record)
    return label


def _number_paragraph_from_one(fields: dict) -> None:
    """A version 1 tag's or quote's paragraph, counted from 0, as its number (¶1 first)."""
    position = fields.get("paragraph")
    if position is None:
        return  # a tag of the whole article
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise _BadRecord(f"a paragraph of {position!r}, not a count from 0")
    fields["paragraph"] = number_of(position)


def _restore_file(record: dict, written: list[Path]) -> None:
    """Write a capture's WARC file back, after checking it is the one its capture names."""
    name = record.get("file")
    capture = Capture.objects.filter(warc_path=name).only("warc_sha256", "warc_path").first()
    if capture is None:
        raise _BadRecord(f"a WARC file, {name!r}, of no capture restored before it")
    try:
        content = base64.b64decode(record.get("base64") or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise _BadRecord(f"the WARC file {name!r} is not valid base64") from None
    computed = hashlib.sha256(content).hexdigest()
    if computed != capture.warc_sha256:
        raise _BadRecord(
            f"the WARC file {name!r} does not match the SHA-256 stored with its capture "
            f"({capture.warc_sha256}, the file hashes to {computed}): the file was altered"
        )
    target = capture.warc_file
    captures_dir = (Path(settings.DATA_DIR) / "captures").resolve()
    if not target.resolve().is_relative_to(captures_dir):
        raise _BadRecord(f"the WARC file {name!r} would be written outside the captures folder")
    if target.exists():
        raise _BadRecord(f"the WARC file {name!r} is already in the data directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    written.append(target)


def _restore_user(record: dict) -> tuple[str, int]:
    """The editor named in the history: the account of that name, created if missing."""
    fields = record.get("fields")
    if not isinstance(fields, dict) or not isinstance(fields.get("username"), str):
        raise _BadRecord("an editor's record without a user name")
    user = User.objects.filter(username=fields["username"]).first()
    if user is None:
        try:
            user = User(**{name: fields[name] for name in USER_FIELDS if name in fields})
            user.set_unusable_password()
            user.full_clean(exclude=["password"])
        except (ValidationError, TypeError, ValueError) as exc:
            raise _BadRecord(f"an editor's record cannot be restored ({exc})") from None
        user.save()
        user.groups.set(Group.objects.filter(name__in=fields.get("groups") or []))
    return user.username, user.pk


def _restore_row(record: dict) -> None:
    try:
        (row,) = serializers.deserialize("python", [record])
    except (DeserializationError, ValueError, TypeError, LookupError) as exc:
        raise _BadRecord(f"a {record['model']} record cannot be read ({exc})") from None
    if isinstance(row.object, Article | Article.history.model):
        article = row.object
        for text, stored, computed in text_hash_problems(
            article.body, article.original_text, article.body_sha256, article.original_sha256
        ):
            raise _BadRecord(
                f"article {article.slug!r}: its {text} does not match the SHA-256 stored "
                f"with it ({stored}, the text hashes to {computed}): the file was altered"
            )
    try:
        # A raw save, as loaddata does: the row is stored as it was, hashes
        # and timestamps included, and nothing re-tags, re-indexes or adds history.
        row.save(force_insert=True)
    except DatabaseError as exc:
        raise _BadRecord(f"a {record['model']} record cannot be stored ({exc})") from None


def _check_references(models) -> None:
    """Every reference between the restored rows leads somewhere (checked before the commit)."""
    try:
        connection.check_constraints(table_names=[model._meta.db_table for model in models])
    except DatabaseError as exc:
        raise RestoreError(
            f"The file's records do not fit together: {exc}. Nothing was restored."
        ) from None


def _rebuild_index(restored_queue: int | None) -> str:
    """Empty the search index and fill it from the restored articles; a problem, or "".

    haystack's own update_index writes in large batches (our backend writes
    those with one process per core). The queue rows the restore wrote are
    then done with. `bring_index_in_line` then applies any change made since,
    and indexes again an article an editor changed while its batch was read
    and not yet written.
    """
    try:
        for using in connection_router.for_write():
            connections[using].get_backend().clear()
        call_command(HaystackUpdateIndex(), verbosity=0)
        if restored_queue is not None:
            IndexQueue.objects.filter(id__lte=restored_queue).delete()
        bring_index_in_line()
    except Exception as exc:  # the engine's own errors: down, locked, …
        return (
            f"The search index could not be rebuilt ({exc}). The articles are restored and "
            "queued: run `manage.py rebuild_index`."
        )
    return ""
