"""Which state of the search index each running process searches, so `verify --index` can tell.

A server process (a gunicorn worker) keeps its Whoosh searcher open and reuses
it while the index is unchanged. Each process that searches writes what it
has open to a small file of its own in the index's `servers/` directory
(`<pid>.json`): the commit it searches and the time of its last search,
rewritten when it opens another commit and at most once a second otherwise,
and removed when the process exits. Files, not a request to the server,
because gunicorn hands a request to whichever worker is free: only a file per
process lets `verify` hear from every worker, idle ones included.

`verify --index` compares each live process's commit with the index's latest:
a process that searched after the index last changed, but from an older
commit, serves a stale index. One that has not searched since is only idle:
every search first checks which commit is the latest.
"""

import atexit
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
SERVERS_DIR = "servers"
# A process that keeps searching the same commit rewrites its file this often.
REWRITE_SECONDS = 1.0
# A commit's time is that of its table of contents, written just before the
# commit becomes visible; a search in between still sees the previous one.
COMMIT_SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class IndexCommit:
    """One commit of one index: its number and the ids of its segments.

    The number alone is not enough: a rebuilt index numbers its commits from
    0 again. Whoosh gives every segment a random id, so a rebuilt index never
    has an old one's segments, and within one index the numbers only grow.
    """

    generation: int
    segments: tuple[str, ...]

    def __str__(self):
        shown = ", ".join(self.segments[:3]) + (", …" if len(self.segments) > 3 else "")
        return f"generation {self.generation} (segments {shown or 'none'})"


@dataclass(frozen=True)
class ServerView:
    """What one process had open at its last search."""

    pid: int
    commit: IndexCommit
    searched_at: float  # time.time() of its last search

    def __str__(self):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.searched_at))
        return f"process {self.pid}, last search {when}, {self.commit}"


class ServerStatus:
    """This process's status file for one index directory (one per process: `status_for`)."""

    def __init__(self, index_dir: str | Path):
        self.directory = Path(index_dir) / SERVERS_DIR
        self._last = None  # (pid, commit, time written)
        self._lock = threading.Lock()  # the threads of a process share its file
        atexit.register(self.forget)

    def path(self) -> Path:
        return self.directory / f"{os.getpid()}.json"  # a forked child writes its own

    def searched(self, commit: IndexCommit, at: float) -> None:
        """Record that this process searched `commit` at `at` (never fails the search)."""
        pid = os.getpid()
        if self._last and self._last[:2] == (pid, commit) and at - self._last[2] < REWRITE_SECONDS:
            return
        record = {"pid": pid, "generation": commit.generation, "segments": list(commit.segments)}
        record["searched_at"] = at
        path = self.path()
        with self._lock:
            try:
                self.directory.mkdir(exist_ok=True)
                temporary = path.with_suffix(".tmp")
                temporary.write_text(json.dumps(record))
                os.replace(temporary, path)
            except OSError:  # the index deleted under us, a full disk: only verify misses it
                log.debug("Could not write %s", path, exc_info=True)
                return
            self._last = (pid, commit, at)

    def forget(self) -> None:
        if self._last and self._last[0] == os.getpid():
            self.path().unlink(missing_ok=True)


_statuses: dict[Path, ServerStatus] = {}
_statuses_lock = threading.Lock()


def status_for(index_dir: str | Path) -> ServerStatus:
    """This process's status file for the index in `index_dir`."""
    key = Path(index_dir).resolve()
    with _statuses_lock:
        if key not in _statuses:
            _statuses[key] = ServerStatus(key)
        return _statuses[key]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def server_views(index_dir: str | Path) -> list[ServerView]:
    """What every other live process that searched this index has open.

    Files left by processes that died without removing them are deleted.
    """
    views = []
    for path in sorted((Path(index_dir) / SERVERS_DIR).glob("*.json")):
        try:
            record = json.loads(path.read_text())
            pid = int(record["pid"])
            commit = IndexCommit(int(record["generation"]), tuple(record["segments"]))
            view = ServerView(pid, commit, float(record["searched_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being replaced, or not ours
        if pid == os.getpid():
            continue  # verify itself
        if not _alive(pid):
            path.unlink(missing_ok=True)
            continue
        views.append(view)
    return views


@dataclass
class ServersReport:
    """The running processes' views of the index, against its latest commit."""

    latest: IndexCommit
    committed_at: float
    current: list[ServerView] = field(default_factory=list)
    idle: list[ServerView] = field(default_factory=list)  # not searched since it changed
    stale: list[ServerView] = field(default_factory=list)  # searched an older commit since

    def __str__(self):
        if not (self.current or self.idle or self.stale):
            return "No running process has searched the index."
        lines = [
            f"Processes searching the index's latest commit, {self.latest}: {_pids(self.current)}."
        ]
        if self.idle:
            idle = _pids(self.idle)
            lines.append(
                f"Idle since the index changed (they switch at their next search): {idle}."
            )
        lines += [f"STALE {view}: it searched after the index changed." for view in self.stale]
        if self.stale:
            lines.append("Restart the server so that every process opens the current index.")
        return "\n".join(lines)


def _pids(views: list[ServerView]) -> str:
    return ", ".join(str(view.pid) for view in views) or "none"


def servers_report(index_dir: str | Path, latest: IndexCommit, committed_at: float):
    report = ServersReport(latest, committed_at)
    for view in server_views(index_dir):
        if view.commit == latest:
            report.current.append(view)
        elif view.searched_at > committed_at + COMMIT_SLACK_SECONDS:
            report.stale.append(view)
        else:
            report.idle.append(view)
    return report
