"""Editors curate an article's tags in their own list: reviewed in context, rejected, added by
hand; the article's form stays a handful of fields however many names the article holds."""

import io

import pytest
from admin_forms import form_data
from django.core.management import call_command
from django.urls import reverse
from haystack.query import SearchQuerySet

from archive.models import Article, Entity, Mention

pytestmark = pytest.mark.django_db(transaction=True)

SEED_001 = "not-only-in-xinjiang-china-threatens-overseas-uighurs"


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    return Article.objects.get(slug=SEED_001)


def tags_url(article):
    return f"{reverse('admin:archive_mention_changelist')}?article__id__exact={article.pk}"


def indexed_with(entity_slug):
    entity = Entity.objects.get(slug=entity_slug)
    return {int(r.pk) for r in SearchQuerySet().models(Article).filter(entities=str(entity.pk))}


def test_the_article_form_counts_its_tags_and_links_to_them(admin_client, seeds):
    page = admin_client.get(reverse("admin:archive_article_change", args=[seeds.pk]))
    html = page.content.decode()
    tags = seeds.mentions.count()
    entities = seeds.mentions.values("entity").distinct().count()
    assert f"{tags} tags of {entities} entities, 0 rejected" in html
    assert tags_url(seeds).replace("?", "?") in html.replace("&amp;", "&")
    assert 'name="mentions-TOTAL_FORMS"' not in html  # no row per mention in the form


def test_the_tag_list_shows_each_name_in_its_sentence(
    admin_client, seeds, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = admin_client.get(tags_url(seeds))
    html = page.content.decode()
    assert f"Tags of “{seeds.title}”" in html
    # The sentence around the name, the name marked, escaped like every text.
    assert "<mark>Norway</mark>" in html
    assert html.count('name="_selected_action"') == seeds.mentions.count()


def test_rejecting_a_tag_keeps_it_rejected_and_updates_search(admin_client, seeds):
    (norway,) = seeds.mentions.filter(entity__slug="norway")
    assert seeds.pk in indexed_with("norway")
    response = admin_client.post(
        tags_url(seeds), {"action": "reject_tags", "_selected_action": [norway.pk]}, follow=True
    )
    assert "1 tag(s) rejected" in response.content.decode()
    norway.refresh_from_db()
    assert norway.rejected and norway.history.first().rejected
    assert seeds.pk not in indexed_with("norway")

    # Saving the article re-tags it; the editor's decision stands.
    admin_client.post(reverse("admin:archive_article_change", args=[seeds.pk]), form_data(seeds))
    assert seeds.mentions.get(entity__slug="norway").rejected
    assert seeds.pk not in indexed_with("norway")


def test_a_tag_added_by_hand_tags_the_whole_article_and_survives_re_tagging(admin_client, seeds):
    safeguard = Entity.objects.get(slug="safeguard-defenders")
    response = admin_client.post(
        reverse("admin:archive_mention_add"),
        {"article": seeds.pk, "entity": safeguard.pk, "surface": "", "paragraph": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tag = seeds.mentions.get(entity=safeguard)
    assert (tag.origin, tag.paragraph) == (Mention.Origin.EDITOR, None)
    assert seeds.pk in indexed_with("safeguard-defenders")

    admin_client.post(reverse("admin:archive_article_change", args=[seeds.pk]), form_data(seeds))
    assert seeds.mentions.filter(entity=safeguard).count() == 1


def test_a_tag_at_positions_that_do_not_hold_its_words_is_explained(admin_client, seeds):
    kerim = Entity.objects.get(slug="kerim-zair")
    add = reverse("admin:archive_mention_add")
    data = {"article": seeds.pk, "entity": kerim.pk, "paragraph": 1, "start": 0, "end": 5}
    data["surface"] = "Kerim"
    response = admin_client.post(add, data)
    assert response.status_code == 200
    assert "The text at these positions is" in response.content.decode()
    response = admin_client.post(add, {**data, "paragraph": 999})
    paragraphs = len(seeds.paragraphs)
    assert f"The article has {paragraphs} paragraphs, numbered 1 to {paragraphs}." in (
        response.content.decode()
    )
    assert not seeds.mentions.filter(entity=kerim, paragraph=1, start=0).exists()


def test_a_tag_is_placed_and_listed_by_the_paragraph_number_readers_see(
    admin_client, seeds, client
):
    """¶7 on the article's page is paragraph 7 in the tag list and the tag form."""
    seeds.mentions.filter(surface__in=["Kerim Zair", "Zair"]).delete()
    kerim = Entity.objects.get(slug="kerim-zair")
    data = {"article": seeds.pk, "entity": kerim.pk, "paragraph": 7, "start": 0, "end": 10}
    response = admin_client.post(reverse("admin:archive_mention_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    tag = seeds.mentions.get(entity=kerim)
    assert (tag.paragraph, tag.surface) == (7, "Kerim Zair")

    listed = admin_client.get(tags_url(seeds), {"q": "Kerim Zair"}).content.decode()
    assert "¶7</a></th>" in listed
    assert "<mark>Kerim Zair</mark>, a Uighur who moved from Norway to London" in listed
    page = client.get(seeds.get_absolute_url()).content.decode()
    assert 'href="/entities/kerim-zair/"' in page.split('<p id="p-7">')[1].split("</p>")[0]
