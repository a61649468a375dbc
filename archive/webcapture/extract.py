"""The article in a captured page: its text, and the title, author, publisher and date the page
states, each with where it was found, or left unknown. Nothing is guessed from the address or
the layout: a field the page does not state stays empty.

The text comes from trafilatura (made for news pages: it drops navigation, footers and
comments); the date from htmldate without its extensive search, which would otherwise
take any date printed on the page. Both load on the first page read, not when a server or
command starts (0.1 s of every start, most of which never read a page).
"""

import datetime
import json
from dataclasses import dataclass

from lxml import html as lxml_html

# The media types the archive reads as pages (a capture's, or a crawl's response).
HTML_TYPES = ("text/html", "application/xhtml+xml")
UNKNOWN = ""
TITLE_FOUND_IN = "the page's title (og:title, <title> or heading), by trafilatura"
AUTHOR_FOUND_IN = "the page's byline or author metadata, by trafilatura"
DATE_FOUND_IN = "the page's date metadata or address, by htmldate"
SITE_NAME_FOUND_IN = "the page's og:site_name"
JSON_LD_FOUND_IN = "the page's JSON-LD publisher"


class ExtractionError(Exception):
    """The page holds no article text the archive can keep."""


@dataclass(frozen=True)
class Found:
    """A value stated by the page and where it was found; `found_in` is "" when unknown."""

    value: object = None
    found_in: str = UNKNOWN

    @property
    def known(self) -> bool:
        return bool(self.found_in)


@dataclass
class ExtractedArticle:
    text: str  # as trafilatura gave it: one paragraph a line
    title: Found
    author: Found
    publisher: Found
    published_on: Found
    language: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]


def extract_article(content: bytes, url: str) -> ExtractedArticle:
    """The article in this page's HTML (bytes as received; the encoding is detected)."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(content)
    if tree is None:
        raise ExtractionError("the page is not HTML the archive can read")
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
    )
    text = (document.text or "").strip() if document is not None else ""
    if not text:
        raise ExtractionError("no article text was found on the page")
    tree = load_html(content)  # trafilatura prunes the tree it was given
    return ExtractedArticle(
        text=text,
        title=_found(document.title, TITLE_FOUND_IN),
        author=_found(document.author, AUTHOR_FOUND_IN),
        publisher=publisher(tree),
        published_on=publication_date(tree, url),
        language=_language(tree),
    )


def _found(value, where: str) -> Found:
    value = " ".join(str(value).split()) if value else ""
    return Found(value, where) if value else Found()


def publication_date(tree, url: str) -> Found:
    """The original publication date the page states, not a later modification."""
    from htmldate import find_date

    stated = find_date(tree, extensive_search=False, original_date=True, url=url)
    if not stated:
        return Found()
    return Found(datetime.date.fromisoformat(stated), DATE_FOUND_IN)


def publisher(tree) -> Found:
    """The publisher's name as the page states it: og:site_name, or JSON-LD's publisher."""
    for name in tree.xpath('//meta[@property="og:site_name"]/@content'):
        if name.strip():
            return _found(name, SITE_NAME_FOUND_IN)
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            found = item.get("publisher") if isinstance(item, dict) else None
            if isinstance(found, list) and found:
                found = found[0]
            name = found.get("name") if isinstance(found, dict) else None
            if isinstance(name, str) and name.strip():
                return _found(name, JSON_LD_FOUND_IN)
    return Found()


def _language(tree) -> str:
    """The primary language subtag of <html lang>, or "" when the page does not say."""
    root = tree if isinstance(tree, lxml_html.HtmlElement) else tree.getroot()
    lang = (root.get("lang") or "").strip().split("-")[0].lower()
    return lang if lang.isalpha() and len(lang) <= 8 else ""
