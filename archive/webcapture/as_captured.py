"""The captured page as readers see it: its HTML from the WARC, with nothing left that runs or
reaches another host, under a banner saying it is the archived copy.

The view serves it under a Content-Security-Policy of its own (AS_CAPTURED_POLICY): a
sandbox with no scripts and no requests, so even something the cleaning missed cannot run
in the archive's origin or call out. The cleaning removes scripts, frames, objects, forms,
event-handler attributes, stylesheet links, <base> and <meta> (refresh) elements, and the
addresses of images and media; links keep their absolute addresses on the original site.
"""

from dataclasses import dataclass

from django.utils import timezone
from lxml import etree
from lxml import html as lxml_html
from lxml_html_clean import Cleaner

from archive.models import Capture
from archive.webcapture.warc import final_page

AS_CAPTURED_POLICY = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Elements whose addresses would load something from another host.
MEDIA_ADDRESSES = {"src", "srcset", "poster", "data", "background", "lowsrc", "dynsrc"}
BANNER_STYLE = (
    "all:initial;display:block;box-sizing:border-box;width:100%;padding:0.75rem 1rem;"
    "background:#fff4c2;color:#1a1a1a;border-bottom:3px solid #8a6d00;"
    "font:16px/1.4 system-ui,sans-serif;"
)

_cleaner = Cleaner(
    scripts=True,
    javascript=True,  # event-handler attributes and javascript: links
    comments=True,
    style=False,
    inline_style=False,
    links=True,  # <link> elements: stylesheets, preloads, icons
    meta=True,
    page_structure=False,
    processing_instructions=True,
    embedded=True,  # object, embed, applet
    frames=True,
    forms=True,
    annoying_tags=False,
    remove_unknown_tags=False,
    safe_attrs_only=False,
)


@dataclass
class PageAsCaptured:
    html: str
    url: str


def page_as_captured(capture: Capture) -> PageAsCaptured:
    """The capture's page, cleaned, with the archive's banner at the top."""
    from trafilatura.utils import load_html  # on the first page shown (archive.webcapture.extract)

    page = final_page(capture.warc_file)
    tree = load_html(page.content)
    if tree is None:
        tree = lxml_html.document_fromstring("<html><body></body></html>")
    tree = _cleaner.clean_html(tree)
    tree.make_links_absolute(page.url, resolve_base_href=True, handle_failures="discard")
    for base in tree.xpath("//base"):
        base.drop_tree()
    for element in tree.iter(etree.Element):
        for name in MEDIA_ADDRESSES & set(element.attrib):
            value = element.attrib[name]
            if not value.strip().lower().startswith("data:"):
                del element.attrib[name]
        if element.tag == "a" and element.get("href"):
            element.set("rel", "noopener noreferrer nofollow")
    _add_charset(tree)
    _add_banner(tree, capture)
    html = lxml_html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    return PageAsCaptured(html=html, url=page.url)


def _add_charset(tree) -> None:
    head = tree.find("head")
    if head is None:
        head = etree.Element("head")
        tree.insert(0, head)
    meta = etree.Element("meta", charset="utf-8")
    head.insert(0, meta)


def _add_banner(tree, capture: Capture) -> None:
    body = tree.find("body")
    if body is None:
        body = etree.SubElement(tree, "body")
    banner = etree.Element("div", id="archive-banner", role="note", style=BANNER_STYLE, lang="en")
    banner.set("aria-label", "Archived copy")
    strong = etree.SubElement(banner, "strong")
    strong.text = "Archived copy, not the live page. "
    when = timezone.localtime(capture.fetched_at).strftime("%-d %B %Y, %H:%M %Z")
    who = "the archive"
    if capture.imported_from:
        who = f"a crawler (imported from the crawl file {capture.imported_from})"
    strong.tail = (
        f"Captured by {who} from {capture.final_url} on {when} (HTTP "
        f"{capture.http_status}). Scripts, frames, forms and images from other hosts are "
        "removed; links lead to the live web. "
    )
    back = etree.SubElement(banner, "a", href=capture.article.get_absolute_url())
    back.text = f"Back to the archived article: {capture.article.title}"
    back.set("style", "color:#0b3d91;text-decoration:underline;")
    body.insert(0, banner)
