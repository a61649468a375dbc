"""Render text with matched words wrapped in <mark>, every piece escaped."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def marked(text: str, marks) -> str:
    """`text` with the spans in `marks` ((start, end) pairs, in order, not overlapping) marked."""
    pieces, position = [], 0
    for start, end in marks or ():
        pieces.append((text[position:start], text[start:end]))
        position = end
    return format_html(
        "{}{}",
        format_html_join("", "{}<mark>{}</mark>", pieces),
        text[position:],
    )
