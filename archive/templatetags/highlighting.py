"""Render text with search matches in <mark> and entity mentions as links, every piece escaped."""

from collections.abc import Iterable
from itertools import groupby

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from archive.models import Entity, Mention

register = template.Library()

# Shown after the first linked mention of each entity so its kind does not rest on colour
# alone.
KIND_TAGS = {
    Entity.Kind.PERSON: "person",
    Entity.Kind.ORGANISATION: "org",
    Entity.Kind.PLACE: "place",
    Entity.Kind.GROUP: "group",
    Entity.Kind.DOCUMENT: "doc",
}


def _within(text: str, start, end) -> bool:
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)


def render_paragraph(
    text: str, links: Iterable[Mention] = (), marks: Iterable[tuple[int, int]] = ()
) -> SafeString:
    """`text` escaped, each mention in `links` a link to its entity, each span in `marks` marked.

    Mentions and marks may overlap each other and themselves in any way: the
    text is cut at every boundary of every span, and each piece gets at most
    one link with a <mark> inside it, so tags never cross. Where mentions
    overlap, the longest (then the earliest) wins the shared piece; a link
    is never put inside another. Spans that do not lie within the text
    (stale offsets after an edit) are left out.
    """
    links = [m for m in links if _within(text, m.start, m.end)]
    marks = [(start, end) for start, end in marks if _within(text, start, end)]
    cuts = sorted(
        {0, len(text), *(m.start for m in links), *(m.end for m in links)}
        | {edge for span in marks for edge in span}
    )
    pieces = []  # (mention or None, marked, text) for each piece between two cuts
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in links if m.start <= start and end <= m.end]
        mention = min(covering, key=lambda m: (m.start - m.end, m.start), default=None)
        marked = any(a <= start and end <= b for a, b in marks)
        pieces.append((mention, marked, text[start:end]))
    # Consecutive pieces under the same mention become one link.
    runs = groupby(pieces, key=lambda piece: piece[0])
    return format_html_join("", "{}", ((_link(mention, list(run)),) for mention, run in runs))


def _link(mention: Mention | None, run: list[tuple]) -> SafeString:
    """One run of pieces, marked where they are, inside a link to the mention's entity if any."""
    inner = format_html_join(
        "",
        "{}",
        (
            (_mark(marked, "".join(piece[2] for piece in group)),)
            for marked, group in groupby(run, key=lambda piece: piece[1])
        ),
    )
    if mention is None:
        return inner
    entity = mention.entity
    # The written kind follows the first link to an entity only (see
    # browse.mentions_by_paragraph); later links carry it in their title alone.
    label = (
        format_html('<sup class="entity-kind" aria-hidden="true">{}</sup>', kind_tag(entity.kind))
        if getattr(mention, "labelled", True)
        else ""
    )
    return format_html(
        '<a class="entity entity-{}" href="{}" title="{}: {}">{}{}</a>',
        entity.kind,
        entity.get_absolute_url(),
        entity.get_kind_display(),
        entity.name,
        inner,
        label,
    )


def _mark(marked: bool, text: str) -> SafeString:
    return format_html("<mark>{}</mark>", text) if marked else format_html("{}", text)


@register.filter
def kind_tag(kind: str) -> str:
    """The short written label of an entity kind, as shown after its mentions."""
    return KIND_TAGS.get(kind, kind)


@register.simple_tag
def marked(text: str, marks, links=()) -> SafeString:
    """`text` with the spans in `marks` ((start, end) pairs) marked and the mentions in `links`
    linked to their entities; see `render_paragraph`."""
    return render_paragraph(text, links or (), marks or ())
