"""What a reader meets on the search page: one search box, facets that all can be chosen, one
filter for a period, a short snippet per hit, a way to the filters on a phone."""

import datetime
import io
import re

import pytest
from django.core.management import call_command

from archive.search import results
from archive.search.results import describe_period

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_search_page_has_one_search_box(client, seeds):
    page = page_of(client, "/search/?q=Uyghur")
    assert page.count('type="search"') == 1
    assert 'id="q" type="search" name="q" value="Uyghur"' in page
    # The quotes search too: its own box, no article search in the header.
    quotes = page_of(client, "/quotes/?q=mercy")
    assert quotes.count('type="search"') == 1 and 'id="site-search-q"' not in quotes
    # Every other page keeps the box in its header.
    assert page_of(client, "/").count('type="search"') == 1
    assert 'id="site-search-q"' in page_of(client, "/about/")


def test_every_value_of_a_facet_can_be_chosen(client, seeds):
    """Uyghur in 2021: Kazakhstan, Turkey and Xinjiang are places too, after the first five."""
    page = page_of(client, "/search/?q=Uyghur&from=2021&to=2021")
    facets = page[page.index('id="facets-heading"') :]
    for slug in ("kazakhstan", "turkey", "xinjiang"):
        assert re.search(rf'<a href="\?[^"]*entity={slug}"', facets), slug
    more = re.search(r'<details class="facet-more">\s*<summary>(\d+) more', facets)
    assert more and int(more.group(1)) >= 3


def test_a_facet_lists_a_bounded_number_of_values_and_says_so(client, seeds, monkeypatch):
    monkeypatch.setattr(results, "FACET_VALUES", 6)
    page = page_of(client, "/search/?q=Uyghur&from=2021&to=2021")
    places = page[page.index("<h3>Place</h3>") :]
    places = places[: places.index("</details>")]
    assert places.count("<li>") == 6
    assert "2 less frequent not listed: narrow the search to see them." in places


def test_a_chosen_year_is_one_filter_with_one_remove(client, seeds):
    page = page_of(client, "/search/?q=Uyghur")
    assert '<a href="?q=Uyghur&amp;from=2021&amp;to=2021">2021</a>' in page
    page = page_of(client, "/search/?q=Uyghur&from=2021&to=2021")
    active = page[page.index('class="active-filters"') :]
    active = active[: active.index("</div>")]
    assert active.count("<li>") == 1 and active.count(">remove</a>") == 1
    assert 'Dates: 2021 <a href="?q=Uyghur" aria-label="Remove the dates 2021">remove</a>' in active
    assert "<strong>2021</strong>" in page  # the year chosen, in its facet


@pytest.mark.parametrize(
    ("date_from", "date_to", "words"),
    [
        ((2021, 1, 1), (2021, 12, 31), "2021"),
        ((2019, 1, 1), (2021, 12, 31), "2019 to 2021"),
        ((2020, 6, 1), (2020, 6, 30), "June 2020"),
        ((2020, 2, 1), (2020, 2, 29), "February 2020"),
        ((2020, 6, 17), (2021, 12, 31), "17 June 2020 to 2021"),
        ((2020, 6, 17), (2020, 6, 17), "17 June 2020"),
        ((2020, 1, 1), None, "from 2020"),
        (None, (2021, 5, 31), "until May 2021"),
        (None, None, ""),
    ],
)
def test_a_period_is_named_as_a_reader_would(date_from, date_to, words):
    def day(parts):
        return datetime.date(*parts) if parts else None

    assert describe_period(day(date_from), day(date_to)) == words


def test_each_hit_shows_one_snippet_and_how_many_more_paragraphs_match(client, seeds):
    page = page_of(client, "/search/?q=Uyghur")
    hits = re.findall(r'<li class="hit">(.*?)</li>\s*(?=<li class="hit">|</ol>)', page, re.S)
    assert len(hits) == 5
    for hit in hits:
        assert hit.count('<p class="snippet">') == 1
        snippet = re.search(r'<p class="snippet">(.*?)</p>', hit, re.S).group(1)
        assert len(re.sub(r"<[^>]+>", "", snippet)) <= 340
    outcome = results.run_search(results.SearchParams(q="Uyghur"))
    for hit in outcome.hits:
        others = hit.other_matching_paragraphs
        assert others and hit.best.paragraph not in others
        link = (
            f'<a href="{hit.article.get_absolute_url()}?hl=Uyghur#p-{others[0]}">'
            f"{len(others)} more matching paragraph{'s' if len(others) > 1 else ''}</a>"
        )
        assert link in page


def test_the_filters_can_be_reached_from_the_top_of_the_results(client, seeds):
    page = page_of(client, "/search/?q=Uyghur")
    jump = page.index('<a href="#facets-heading">Narrow by source, year or entity</a>')
    assert jump < page.index('<ol class="hits"') < page.index('id="facets-heading"')
    assert '<a href="#results-heading">Back to the results</a>' in page
    assert "Narrow by source, year or entity" not in page_of(client, "/search/?q=nothingmatches")
