"""The entities named in an article: linked in its text, listed beside it, safely and cheaply."""

import random
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.utils.html import escape

from archive.models import Article, Entity, Mention
from archive.templatetags.highlighting import marked, render_paragraph

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
SEED_001 = "/articles/not-only-in-xinjiang-china-threatens-overseas-uighurs/"


def entity(name="Kerim Zair", kind=Entity.Kind.PERSON, slug=None):
    return Entity(name=name, kind=kind, slug=slug or re.sub(r"\W+", "-", name.lower()))


def link(start, end, named=None):
    """An unsaved mention of `named` (an entity) at text[start:end]."""
    return Mention(start=start, end=end, entity=named or entity())


class Reader(HTMLParser):
    """Reads rendered HTML back: fails on crossed tags, keeps the text and the links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.text, self.links, self.labels = [], [], [], []

    def handle_starttag(self, tag, attrs):
        assert tag in ("p", "a", "mark", "sup"), f"unexpected <{tag}>"
        assert tag not in self.open, f"<{tag}> inside <{tag}>"
        self.open.append(tag)
        if tag == "a":
            self.links.append({**dict(attrs), "text": ""})

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()

    def handle_data(self, data):
        if "sup" in self.open:
            self.labels.append(data)
            return
        self.text.append(data)
        if "a" in self.open:
            self.links[-1]["text"] += data

    @classmethod
    def of(cls, html):
        reader = cls()
        reader.feed(str(html))
        reader.close()
        assert reader.open == [], f"left open: {reader.open}"
        return reader


# The rendering function


def test_plain_text_is_escaped_and_otherwise_unchanged():
    assert render_paragraph(f"Before {SCRIPT} after") == (
        "Before &lt;script&gt;alert(1)&lt;/script&gt; after"
    )
    assert render_paragraph("") == ""


def test_a_mention_links_to_its_entity_with_its_kind_written_out():
    html = render_paragraph("Kerim Zair said so.", [link(0, 10)])
    assert html == (
        '<a class="entity entity-person" href="/entities/kerim-zair/" '
        'title="Person: Kerim Zair">Kerim Zair'
        '<sup class="entity-kind" aria-hidden="true">person</sup></a> said so.'
    )


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (Entity.Kind.PERSON, "person"),
        (Entity.Kind.ORGANISATION, "org"),
        (Entity.Kind.PLACE, "place"),
        (Entity.Kind.GROUP, "group"),
        (Entity.Kind.DOCUMENT, "doc"),
    ],
)
def test_every_kind_has_a_class_and_a_visible_label(kind, label):
    reader = Reader.of(render_paragraph("Name", [link(0, 4, entity("Name", kind))]))
    assert reader.links[0]["class"] == f"entity entity-{kind}"
    assert reader.labels == [label]


def test_hostile_article_text_stays_text_inside_links_and_marks():
    text = f"{ATTRIBUTE_BREAKOUT} Kerim Zair {SCRIPT}"
    start = text.index("Kerim")
    html = render_paragraph(text, [link(start, start + 10)], [(0, 5), (len(text) - 9, len(text))])
    assert "<script" not in html and "<img" not in html
    assert escape(ATTRIBUTE_BREAKOUT[:5]) in html
    assert "".join(Reader.of(html).text) == text


def test_an_entity_name_with_markup_cannot_break_the_attribute():
    hostile = entity(f"Zair {ATTRIBUTE_BREAKOUT}{SCRIPT}", slug="zair")
    html = render_paragraph("Zair spoke.", [link(0, 4, hostile)])
    assert "<img" not in html and "<script" not in html
    assert Reader.of(html).links[0]["title"] == f"Person: Zair {ATTRIBUTE_BREAKOUT}{SCRIPT}"


def test_a_link_inside_a_longer_one_is_not_nested_the_longer_wins():
    text = "The World Uyghur Congress said."
    congress = entity("World Uyghur Congress", Entity.Kind.ORGANISATION)
    uyghurs = entity("Uyghurs", Entity.Kind.GROUP)
    reader = Reader.of(render_paragraph(text, [link(10, 16, uyghurs), link(4, 25, congress)]))
    assert [(a["href"], a["text"]) for a in reader.links] == [
        ("/entities/world-uyghur-congress/", "World Uyghur Congress")
    ]


def test_overlapping_links_share_the_text_without_crossing():
    text = "abcdefghij"
    first, second = entity("First", slug="first"), entity("Second", slug="second")
    reader = Reader.of(render_paragraph(text, [link(0, 4, first), link(2, 9, second)]))
    # The longer mention takes the shared letters; the other keeps the rest.
    assert [(a["href"], a["text"]) for a in reader.links] == [
        ("/entities/first/", "ab"),
        ("/entities/second/", "cdefghi"),
    ]
    assert "".join(reader.text) == text


def test_adjacent_mentions_are_two_links():
    text = "ChinaTurkey"
    china, turkey = entity("China", Entity.Kind.PLACE), entity("Turkey", Entity.Kind.PLACE)
    reader = Reader.of(render_paragraph(text, [link(0, 5, china), link(5, 11, turkey)]))
    assert [a["text"] for a in reader.links] == ["China", "Turkey"]


def test_mentions_at_the_start_and_the_end_of_the_paragraph():
    text = "Zair met Zair"
    reader = Reader.of(render_paragraph(text, [link(0, 4), link(9, 13)]))
    assert [a["text"] for a in reader.links] == ["Zair", "Zair"]
    assert "".join(reader.text) == text


def test_highlights_combine_with_links_nested_inside_them():
    text = "The World Uyghur Congress met Uyghurs."
    congress = entity("World Uyghur Congress", Entity.Kind.ORGANISATION)
    html = render_paragraph(text, [link(4, 25, congress)], [(10, 16), (30, 37)])
    assert (
        'title="Organisation: World Uyghur Congress">World <mark>Uyghur</mark> Congress<sup'
    ) in html
    assert "met <mark>Uyghurs</mark>." in html


def test_a_highlight_across_a_link_boundary_is_split_not_crossed():
    text = "said Kerim Zair today"
    html = render_paragraph(text, [link(5, 15)], [(0, 10), (11, 21)])
    assert html.startswith("<mark>said </mark><a ")
    assert '"><mark>Kerim</mark> <mark>Zair</mark><sup' in html
    assert html.endswith("</a><mark> today</mark>")
    Reader.of(html)


def test_overlapping_and_adjacent_highlights_become_one_mark():
    assert render_paragraph("abcdef", (), [(0, 3), (2, 4), (4, 5)]) == "<mark>abcde</mark>f"


@pytest.mark.parametrize(
    "span",
    [(5, 99), (99, 120), (-3, 2), (4, 4), (6, 2), (None, None), (0, None)],
)
def test_spans_outside_the_text_are_left_out_never_crash(span):
    text = "short"
    assert render_paragraph(text, [link(*span)], [span] if None not in span else []) == "short"


def test_any_mix_of_spans_renders_well_nested_and_keeps_every_character():
    rng = random.Random(2024)
    text = f"Zair & {SCRIPT} met “Uyghurs” in {ATTRIBUTE_BREAKOUT} Ürümqi."
    people = [entity(f"Person {n}", slug=f"p{n}") for n in range(4)]
    for _ in range(300):
        spans = [sorted(rng.sample(range(len(text) + 3), 2)) for _ in range(rng.randint(0, 6))]
        links = [link(a, b, rng.choice(people)) for a, b in spans[: len(spans) // 2]]
        marks = [tuple(span) for span in spans[len(spans) // 2 :]]
        reader = Reader.of(render_paragraph(text, links, marks))
        assert "".join(reader.text) == text


def test_search_snippets_keep_their_marks():
    assert marked("a b c", [(2, 3)]) == "a <mark>b</mark> c"
    assert marked("a b c", None) == "a b c"


# The article page, with the seed articles tagged against the fixture vocabulary


@pytest.fixture
def seeds(db, seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet")
    return Article.objects.get(slug=SEED_001.split("/")[2])


def body_of(page: str) -> str:
    return page[page.index('<div class="body">') : page.index("</div>", page.index('class="body"'))]


def aside_of(page: str) -> str:
    return page[page.index('<aside class="named"') : page.index("</aside>")]


def test_names_in_the_text_link_to_their_entity_pages(client, seeds):
    body = body_of(client.get(SEED_001).content.decode())
    congress = re.search(r'<a [^>]*href="/entities/world-uyghur-congress/"[^>]*>(.*?)</a>', body)
    assert congress.group(1) == (
        'World Uyghur Congress<sup class="entity-kind" aria-hidden="true">org</sup>'
    )
    assert 'title="Person: Kerim Zair">Kerim Zair<sup' in body
    assert 'title="Place: Norway">Norway<sup class="entity-kind" aria-hidden="true">place' in body
    Reader.of(body.removeprefix('<div class="body">'))
    # The same entity under another spelling links to the same page (every mention linked).
    every = body_of(client.get(SEED_001 + "?mentions=all").content.decode())
    assert 'href="/entities/uyghurs/" title="Group: Uyghurs">Uighurs</a>' in every


def links_in(body: str) -> list[str]:
    return re.findall(r'<a class="entity entity-\w+" href="(/entities/[^"]+/)"', body)


def test_only_the_first_mention_of_each_name_is_a_link(client, seeds):
    """Not a tag cloud: "China" is linked once, and its later mentions read as plain text."""
    body = body_of(client.get(SEED_001).content.decode())
    links = links_in(body)
    assert len(links) == len(set(links))  # each entity once
    placed = {e for e in seeds.mentions.filter(rejected=False, paragraph__isnull=False)
              .values_list("entity__slug", flat=True)}  # fmt: skip
    assert {link.split("/")[2] for link in links} == placed
    assert seeds.mentions.filter(entity__slug="china", rejected=False).count() > 1
    assert links.count("/entities/china/") == 1
    first_china = body.index('href="/entities/china/"')
    assert "China" in re.sub(r"<[^>]+>", "", body[body.index("</a>", first_china) :])
    # One kind label per link.
    assert body.count('<sup class="entity-kind"') == len(links)


def test_a_reader_can_ask_for_every_mention_linked_labelled_once(client, seeds):
    page = client.get(SEED_001).content.decode()
    assert '<a href="?mentions=all" rel="nofollow">Link every mention of each name</a>' in page
    every = client.get(SEED_001 + "?mentions=all").content.decode()
    body = body_of(every)
    links = links_in(body)
    assert len(links) == seeds.mentions.filter(rejected=False).count()
    assert body.count('<sup class="entity-kind"') == len(set(links))
    assert '<a href="/articles/' in every and "Link only the first mention of each name" in every


def test_asking_for_every_mention_keeps_the_highlighted_words(client, seeds):
    page = client.get(SEED_001 + "?hl=uyghur").content.decode()
    assert 'href="?hl=uyghur&amp;mentions=all"' in page


def test_the_side_panel_lists_entities_by_kind_with_their_mention_counts(client, seeds):
    aside = aside_of(client.get(SEED_001).content.decode())
    headings = re.findall(r"<h3[^>]*>(.*?)</h3>", aside)
    assert headings == ["People", "Organisations", "Places", "Groups", "Documents and events"]
    for slug in ("kerim-zair", "xinjiang", "uyghurs", "china-cables"):
        count = Mention.objects.filter(article=seeds, entity__slug=slug, rejected=False).count()
        label = f"{count} mention{'s' if count != 1 else ''}"
        assert re.search(rf'href="/entities/{slug}/">[^<]+</a> <span class="count">{label}<', aside)


def test_rejected_mentions_are_neither_linked_nor_listed(client, seeds):
    seeds.mentions.filter(entity__slug="kerim-zair").update(rejected=True)
    page = client.get(SEED_001).content.decode()
    # The quotations section is left out: a quote's speaker is its own record,
    # corrected by editors on the quote.
    without_quotes = re.sub(r'<section class="article-quotes".*?</section>', "", page, flags=re.S)
    assert "/entities/kerim-zair/" not in without_quotes
    assert "Kerim Zair, a" in body_of(page)


def test_an_article_without_mentions_has_no_panel(client, seeds):
    seeds.mentions.update(rejected=True)
    page = client.get(SEED_001).content.decode()
    assert '<aside class="named"' not in page
    assert 'class="entity' not in page


def test_search_highlights_and_entity_links_combine(client, seeds):
    body = body_of(client.get(SEED_001 + "?hl=uyghur&mentions=all").content.decode())
    assert 'title="Organisation: World Uyghur Congress">World <mark>Uyghur</mark> Congress' in body
    assert 'title="Group: Uyghurs"><mark>Uighurs</mark></a>' in body
    assert "<mark>" not in re.sub(r"<a [^>]*>.*?</a>", "", body)  # every Uyghur is a mention


def test_hostile_text_and_names_are_escaped_on_the_page(client, db):
    hostile = Entity.objects.create(
        name=f"Zair {ATTRIBUTE_BREAKOUT}", slug="hostile", kind=Entity.Kind.PERSON
    )
    article = Article.objects.create(
        title="Hostile", slug="hostile", status=Article.Status.PUBLISHED,
        body=f"{SCRIPT} Zair {ATTRIBUTE_BREAKOUT}",
    )  # fmt: skip
    article.mentions.all().delete()
    start = len(SCRIPT) + 1
    Mention.objects.create(article=article, entity=hostile, paragraph=1, start=start, end=start + 4)
    page = client.get(article.get_absolute_url()).content.decode()
    assert SCRIPT not in page and "<img" not in page
    assert escape(SCRIPT) in page
    assert 'href="/entities/hostile/"' in page


def test_mentions_whose_words_moved_are_not_linked_and_never_crash(client, db):
    place = Entity.objects.create(name="Ghulja", slug="ghulja", kind=Entity.Kind.PLACE)
    article = Article.objects.create(
        title="Edited", slug="edited", status=Article.Status.PUBLISHED,
        body="The text was edited after tagging.",
    )  # fmt: skip
    for paragraph, start, end, surface in [
        (1, 4, 8, "Ghulja"),  # the words at these offsets changed
        (1, 30, 90, ""),  # past the end of the paragraph
        (7, 0, 3, ""),  # past the last paragraph
        (None, None, None, ""),  # a whole-article tag: listed, not linked
    ]:
        Mention.objects.create(
            article=article, entity=place, paragraph=paragraph, start=start, end=end,
            surface=surface,
        )  # fmt: skip
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="entity' not in body_of(page)
    assert '<a href="/entities/ghulja/">Ghulja</a> <span class="count">4 mentions' in aside_of(page)


# A bounded number of queries, however many entities an article names


def test_the_article_page_uses_a_fixed_number_of_queries_however_many_mentions(
    client, seeds, django_assert_max_num_queries
):
    assert seeds.mentions.count() > 40
    # article, mentions, entity counts, related documents (curated links, the stored list's
    # version and row, then, none being kept for an article the index does not hold here,
    # similar and shared-entity ones), quotes, captures from the web, checks of the original,
    # when the stored list was worked out (the page's own validator)
    with django_assert_max_num_queries(19):
        page = client.get(SEED_001 + "?mentions=all").content.decode()
    assert page.count('class="entity entity-') > 40


def test_highlighting_adds_a_fixed_number_of_queries(client, seeds, django_assert_max_num_queries):
    client.get(SEED_001 + "?hl=uyghur")  # the spelling vocabulary is read once and kept
    # + the vocabulary's change token (4 queries); + its captures from the web (1)
    with django_assert_max_num_queries(23):
        page = client.get(SEED_001 + "?hl=uyghur+beijing").content.decode()
    assert "<mark>Beijing</mark>" in page


def test_a_long_article_links_a_bounded_number_of_names_and_still_counts_them_all(
    client, seeds, monkeypatch
):
    from archive import browse

    shown = seeds.mentions.filter(rejected=False)
    total = shown.count()
    monkeypatch.setattr(browse, "MAX_LINKED_MENTIONS", 10)
    page = client.get(SEED_001 + "?mentions=all").content.decode()
    assert page.count('class="entity entity-') == 10
    last = list(shown.order_by("paragraph", "start", "pk"))[9]
    assert f"names are linked up to paragraph {last.paragraph};" in page
    # The list beside the text counts every mention, linked or not.
    counts = re.findall(r'<span class="count">(\d+) mentions?</span>', page)
    assert sum(map(int, counts)) == total


def test_an_ordinary_article_links_every_name_without_a_note(client, seeds):
    page = client.get(SEED_001 + "?mentions=all").content.decode()
    assert page.count('class="entity entity-') == seeds.mentions.filter(rejected=False).count()
    assert "names are linked up to paragraph" not in page


def test_an_article_with_exactly_as_many_names_as_are_linked_has_no_note(
    client, seeds, monkeypatch
):
    from archive import browse

    monkeypatch.setattr(
        browse, "MAX_LINKED_MENTIONS", seeds.mentions.filter(rejected=False).count()
    )
    page = client.get(SEED_001).content.decode()
    assert "names are linked up to paragraph" not in page


def test_a_name_hidden_inside_a_longer_one_is_not_its_first_mention(client, db):
    """An editor tagged "Uyghur" inside "World Uyghur Congress": the group's first visible
    mention, later in the text, is its link; the congress is linked once."""
    congress = Entity.objects.create(
        name="World Uyghur Congress", slug="wuc", kind=Entity.Kind.ORGANISATION
    )
    uyghurs = Entity.objects.create(name="Uyghurs", slug="uyghurs", kind=Entity.Kind.GROUP)
    text = "The World Uyghur Congress spoke. The World Uyghur Congress said Uyghur families wait."
    article = Article.objects.create(
        title="Congress", slug="congress", status=Article.Status.PUBLISHED, body=text
    )
    article.mentions.all().delete()
    for named, word in [(congress, "World Uyghur Congress"), (uyghurs, "Uyghur")]:
        for found in re.finditer(word, text):
            Mention.objects.create(
                article=article, entity=named, paragraph=1, start=found.start(),
                end=found.end(), surface=word,
            )  # fmt: skip
    body = body_of(client.get(article.get_absolute_url()).content.decode())
    assert links_in(body) == ["/entities/wuc/", "/entities/uyghurs/"]
    assert 'title="Group: Uyghurs">Uyghur<sup' in body and body.index("said <a") > 0
