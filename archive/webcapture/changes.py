"""What changed in an article's text between two of its captures, for readers.

Paragraphs are compared first (difflib on whole paragraphs); a paragraph replaced by one
close to it is then compared word by word, so a reader sees the words that changed rather
than two whole paragraphs. The cost is bounded: texts are limited by
ARCHIVE_MAX_ARTICLE_CHARS, and a replaced pair longer than WORDS_COMPARED_AT_MOST words is
shown whole (removed, then added), never compared word by word.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

WORDS_COMPARED_AT_MOST = 2000
# Below this likeness (difflib ratio of the words) two paragraphs are shown as one removed
# and one added: marking every word of a rewritten paragraph helps nobody.
ALIKE_AT_LEAST = 0.5


@dataclass(frozen=True)
class Piece:
    text: str
    change: str = ""  # "", "removed" or "added"


@dataclass
class ParagraphChange:
    change: str  # "same", "removed", "added" or "edited"
    before_number: int | None  # ¶ in the earlier capture (numbered from 1), if there
    after_number: int | None  # ¶ in the later capture, if there
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class TextChanges:
    paragraphs: list[ParagraphChange]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"removed": 0, "added": 0, "edited": 0, "same": 0}
        for paragraph in self.paragraphs:
            counts[paragraph.change] += 1
        return counts

    @property
    def identical(self) -> bool:
        return all(paragraph.change == "same" for paragraph in self.paragraphs)


def paragraphs_of(text: str) -> list[str]:
    """A capture's text as its paragraphs (one a line, as extracted)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def text_changes(before: str, after: str) -> TextChanges:
    """The paragraphs of `after` against those of `before`, each same, removed, added or
    edited (with its words marked)."""
    old, new = paragraphs_of(before), paragraphs_of(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changes: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            changes += [
                ParagraphChange("same", i + 1, j + 1, [Piece(old[i])])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        removed, added = list(range(i1, i2)), list(range(j1, j2))
        # Pair replaced paragraphs in order while they stay alike; the rest are removed/added.
        while removed and added and _alike(old[removed[0]], new[added[0]]):
            i, j = removed.pop(0), added.pop(0)
            changes.append(ParagraphChange("edited", i + 1, j + 1, _word_changes(old[i], new[j])))
        changes += [
            ParagraphChange("removed", i + 1, None, [Piece(old[i], "removed")]) for i in removed
        ]
        changes += [ParagraphChange("added", None, j + 1, [Piece(new[j], "added")]) for j in added]
    return TextChanges(changes)


def _alike(first: str, second: str) -> bool:
    a, b = first.split(), second.split()
    if len(a) + len(b) > WORDS_COMPARED_AT_MOST:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= ALIKE_AT_LEAST


def _word_changes(first: str, second: str) -> list[Piece]:
    a, b = first.split(), second.split()
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece(" ".join(a[i1:i2]), "removed"))
        if j2 > j1:
            pieces.append(Piece(" ".join(b[j1:j2]), "added"))
    return pieces
