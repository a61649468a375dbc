"""Each seed article served as a web page, built around its text with the boilerplate its
scraper kept (navigation, "Published", "You may like", comment forms, related headlines),
and captured from 127.0.0.1: the archive keeps the article's paragraphs, none of the page's
boilerplate, and dates it only by what the page states."""

import html
import io
import json
from pathlib import Path

import pytest
from capture_pages import captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import call_command

from archive.ingest.cleaning import is_boilerplate, is_end_of_article
from archive.models import Article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fixtures" / "seeds"


def seed_articles() -> list[dict]:
    """The seeds as the importer made them (fixtures/seed_articles.json), with the lines of
    page boilerplate their files carry before and after the article."""
    rows = json.loads((ROOT / "fixtures" / "seed_articles.json").read_text())
    seeds = []
    for row in rows:
        if row["model"] != "archive.article":
            continue
        fields = row["fields"]
        raw = (SEEDS / fields["external_id"]).read_text().splitlines()
        before, after, ended = [], [], False
        for line in raw:
            ended = ended or is_end_of_article(line)
            if line.strip() and (ended or is_boilerplate(line)):
                (after if ended else before).append(line.strip())
        seeds.append({**fields, "before": before, "after": after})
    return seeds


def page_around(seed: dict) -> str:
    """A news site's page holding the seed's text, as a WordPress theme lays it out."""
    escape = html.escape
    title = seed["title"] if seed["title_origin"] == "stated" else ""
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in seed["body"].split("\n\n"))
    header = "\n".join(f"<li><a href='/x'>{escape(line)}</a></li>" for line in seed["before"])
    after = "\n".join(f"<li><a href='/y'>{escape(line)}</a></li>" for line in seed["after"])
    published = seed["published_on"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title) or "Regional news"} – Regional news</title>
{f'<meta property="article:published_time" content="{published}T08:00:00Z">' if published else ""}
</head><body>
<header class="site-header"><nav><ul>{header}<li><a href="/">Home</a></li></ul></nav></header>
<main><article class="post">
{f"<h1 class='entry-title'>{escape(title)}</h1>" if title else ""}
<div class="entry-content">
{paragraphs}
</div></article>
<aside class="related"><h3>Related</h3><ul>{after}</ul></aside>
<section id="comments"><h3>Leave a Reply</h3><form><textarea></textarea></form></section>
</main>
<footer><p>© Regional news. All rights reserved.</p></footer>
</body></html>"""


@pytest.mark.parametrize("seed", seed_articles(), ids=lambda seed: seed["external_id"][:3])
def test_a_seed_captured_from_a_page_around_it_keeps_its_text_and_no_boilerplate(
    seed,
    site,  # noqa: F811
):
    url = site.page(f"/{seed['slug']}", page_around(seed))
    out = io.StringIO()
    call_command("capture", url, stdout=out, stderr=io.StringIO())
    article = Article.objects.get(original_url=url)
    assert article.paragraphs == seed["body"].split("\n\n"), out.getvalue()
    for line in seed["before"] + seed["after"]:
        assert line not in article.paragraphs
    capture = article.captures.get()
    if seed["published_on"]:
        assert article.published_on.isoformat() == seed["published_on"]
        assert capture.date_found_in  # where the page states it
    else:  # the page states no date: unknown, not the day of the capture
        assert article.published_on is None and capture.date_found_in == ""
