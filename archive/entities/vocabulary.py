"""The curated names of the entities, read once per change and shared by tagging and search.

A `Vocabulary` is every spelling of every entity (its name and aliases, by
the convention of `entity_spellings`), entities in the order of their ids so
that a spelling two entities share names the same one everywhere. Each use
builds what it needs on first use, once per vocabulary:

* `names`: the Aho-Corasick automaton (archive.entities.matching) that
  tagging, entity suggestions and quote speakers find names with;
* `variants`: the spellings by index terms that widen a search query, on
  the search page, the API, the export and an article's highlights
  (archive.search.variants).

`current_vocabulary()` keeps one per process and reads it again only when
`change_token()` moves on. The token comes from the database, so an alias
added in one gunicorn worker, the admin, a shell or an import reaches every
other process at its next use, without a restart.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db.models import Max

from archive.entities.matching import NameFinder, Spelling, entity_spellings
from archive.models import Alias, Entity
from archive.search.variants import SpellingVariants

log = logging.getLogger(__name__)

Part = TypeVar("Part")


def change_token() -> tuple:
    """What identifies the vocabulary's source: moves on with every change of an entity or alias.

    Every change through the ORM (admin, merge, suggestions, a shell) writes
    a history row. Its id alone could come back (SQLite hands out a rolled-back
    id again), so its time is part of the token; loaddata writes no history,
    so the counts are part of it too.
    """
    entities = Entity.history.aggregate(latest=Max("history_id"), at=Max("history_date"))
    aliases = Alias.history.aggregate(latest=Max("history_id"), at=Max("history_date"))
    return (
        *entities.values(),
        *aliases.values(),
        Entity.objects.count(),
        Alias.objects.count(),
    )


def read_spellings() -> list[Spelling]:
    """Every entity's spellings as the database holds them now, entities by id."""
    partial = {Alias.Scope.FULL: False, Alias.Scope.PARTIAL: True}
    aliases = defaultdict(list)
    for entity_id, name, case_sensitive, scope in Alias.objects.order_by(
        "entity_id", "name"
    ).values_list("entity_id", "name", "case_sensitive", "scope"):
        aliases[entity_id].append((name, case_sensitive, partial.get(scope)))
    return [
        spelling
        for entity_id, name, kind in Entity.objects.order_by("pk").values_list("pk", "name", "kind")
        for spelling in entity_spellings(entity_id, name, aliases[entity_id], kind)
    ]


class Vocabulary:
    """Every spelling of every curated entity, as read at `token`."""

    def __init__(self, spellings: Iterable[Spelling], token: tuple | None = None):
        self.spellings = tuple(spellings)
        self.token = token
        self._lock = threading.Lock()
        self._parts: dict[str, object] = {}

    @property
    def names(self) -> NameFinder:
        """The automaton that finds these names in a text (tagging, suggestions, quotes)."""
        return self._part("names", NameFinder)

    @property
    def variants(self) -> SpellingVariants:
        """The spellings by index terms, to widen a search query to all of an entity's names."""
        return self._part("variants", SpellingVariants)

    def _part(self, name: str, build: Callable[[tuple[Spelling, ...]], Part]) -> Part:
        # Under the lock, so that threads wanting the same part build it once.
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build(self.spellings)
                log.info(
                    "Built the entity vocabulary's %s (%d spellings)", name, len(self.spellings)
                )
            return self._parts[name]


_current_lock = threading.Lock()
_current: Vocabulary | None = None  # the one this process uses, once read


def current_vocabulary() -> Vocabulary:
    """The vocabulary as the database holds it now, read again only after it has changed.

    Costs the few queries of `change_token()` per call. The token is read
    before the spellings: a change committed in between makes the next call
    read them again, never keeps a stale vocabulary.
    """
    global _current
    token = change_token()
    with _current_lock:
        if _current is None or _current.token != token:
            _current = Vocabulary(read_spellings(), token)
            log.info("Read the entity vocabulary: %d spellings", len(_current.spellings))
        return _current
