"""Editors curate an article's tags by entity: every wrong "China" of an article cleared in one
action, single tags rejected and restored, an entity tagged by the words the text writes; and
an entity's tags across the archive, a page at a time, in a bounded number of queries."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.curation import CurationError, tag_words, tags_by_entity, word_places
from archive.models import Article, Entity, Mention
from tests.old_tags import tag_every_occurrence

pytestmark = pytest.mark.django_db(transaction=True)

# Made up for the test, after the BBC's "Millions go missing at China bank": every "China"
# but one names a bank or a newspaper, not the country.
BANK_BODY = "\n\n".join(
    [
        "Millions of yuan have gone missing at a branch of the Bank of China in Henan.",
        "The Bank of China said it was investigating, the South China Morning Post reported.",
        "Customers of China Construction Bank queued outside its branches too.",
        "Regulators in China have promised to act.",
    ]
)


@pytest.fixture
def bank():
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    article = save_article(
        Article(
            title="Millions go missing at China bank",
            slug="millions-go-missing-at-china-bank",
            body=BANK_BODY,
            status=Article.Status.PUBLISHED,
        )
    )
    # Tagged before the rules: every "China", in "Bank of China" and the rest too.
    return tag_every_occurrence(article, "china", "China")


def tags_page(article):
    return reverse("admin:archive_article_tags", args=[article.pk])


def indexed_with(slug):
    entity = Entity.objects.get(slug=slug)
    return {int(r.pk) for r in SearchQuerySet().models(Article).filter(entities=str(entity.pk))}


def test_the_page_groups_tags_by_entity_with_counts_and_sentences(admin_client, bank):
    china = bank.mentions.filter(entity__slug="china")
    assert china.count() >= 4
    html = admin_client.get(tags_page(bank)).content.decode()
    section = html.split(f'id="entity-{china[0].entity_id}"')[1].split("</section>")[0]
    assert f"{china.count()} tags" in section
    assert f"Reject all {china.count()} in this article" in section
    # Each occurrence in its sentence, the name marked, its ¶ as readers see it.
    assert "Bank of <mark>China</mark> said it was investigating" in section
    assert "¶4" in section and "¶0" not in section


def test_one_action_rejects_every_china_of_the_article_and_search_follows(admin_client, bank):
    china = Entity.objects.get(slug="china")
    assert bank.pk in indexed_with("china")
    response = admin_client.post(tags_page(bank), {"reject_entity": china.pk}, follow=True)
    count = bank.mentions.filter(entity=china).count()
    assert f"{count} tag(s) of China in this article rejected" in response.content.decode()
    assert not bank.mentions.filter(entity=china, rejected=False).exists()
    assert bank.pk not in indexed_with("china")
    # In the history, as this editor's.
    user = User.objects.get(username="admin")
    assert all(
        m.history.first().history_user == user and m.history.first().rejected
        for m in bank.mentions.filter(entity=china)
    )
    # Saving the article again re-tags it; the rejection holds.
    save_article(bank)
    assert not bank.mentions.filter(entity=china, rejected=False).exists()

    admin_client.post(tags_page(bank), {"restore_entity": china.pk})
    assert not bank.mentions.filter(entity=china, rejected=True).exists()
    assert bank.pk in indexed_with("china")


def test_single_tags_are_rejected_and_restored(admin_client, bank):
    wrong = bank.mentions.filter(entity__slug="china", paragraph=1).first()
    right = bank.mentions.filter(entity__slug="china", paragraph=4).first()
    admin_client.post(tags_page(bank), {"reject_selected": "1", "mention": [wrong.pk, "x"]})
    wrong.refresh_from_db()
    right.refresh_from_db()
    assert wrong.rejected and not right.rejected
    admin_client.post(tags_page(bank), {"restore_selected": "1", "mention": [wrong.pk]})
    wrong.refresh_from_db()
    assert not wrong.rejected


def test_the_one_right_tag_restored_after_rejecting_all_survives_re_tagging(
    admin_client, bank, client
):
    china = Entity.objects.get(slug="china")
    admin_client.post(tags_page(bank), {"reject_entity": china.pk})
    right = bank.mentions.get(entity=china, paragraph=4)
    admin_client.post(tags_page(bank), {"restore_selected": "1", "mention": [right.pk]})
    right.refresh_from_db()
    assert not right.rejected and right.origin == Mention.Origin.EDITOR
    save_article(bank)  # re-tagging: every other China stays rejected, this one stays
    assert list(bank.mentions.filter(entity=china, rejected=False)) == [right]
    page = client.get(bank.get_absolute_url()).content.decode()
    assert page.count('href="/entities/china/"') == 2  # in ¶4 and in "Named in this article"
    assert bank.pk in indexed_with("china")


def test_an_entity_is_tagged_by_its_words_in_the_text(admin_client, bank):
    bank_entity = Entity.objects.create(
        name="Bank of China", slug="bank-of-china", kind=Entity.Kind.ORGANISATION
    )
    response = admin_client.post(
        tags_page(bank),
        {"tag_words": "1", "words": " Bank of  China ", "entity": bank_entity.pk},
        follow=True,
    )
    assert "Bank of China tagged at 2 place(s)" in response.content.decode()
    tags = bank.mentions.filter(entity=bank_entity).order_by("paragraph")
    assert [(t.paragraph, t.surface, t.origin) for t in tags] == [
        (1, "Bank of China", Mention.Origin.EDITOR),
        (2, "Bank of China", Mention.Origin.EDITOR),
    ]
    assert bank.pk in indexed_with("bank-of-china")
    save_article(bank)  # the editor's tags outlive re-tagging
    assert bank.mentions.filter(entity=bank_entity).count() == 2


def test_words_not_in_the_text_are_refused_with_the_reason(admin_client, bank):
    china = Entity.objects.get(slug="china")
    before = bank.mentions.count()
    for words in ["Bank of Chin", "bank of china", "Bank of Japan"]:
        response = admin_client.post(
            tags_page(bank), {"tag_words": "1", "words": words, "entity": china.pk}
        )
        assert response.status_code == 200
        assert "is not in the article&#x27;s text as a word or words of their own" in (
            response.content.decode()
        )
    assert bank.mentions.count() == before


def test_a_tag_the_tagger_placed_becomes_the_editors_when_tagged_by_words(bank):
    china = Entity.objects.get(slug="china")
    done = tag_words(bank, china, "China")
    assert done.added == 0 and done.confirmed == done.places == 5
    assert set(bank.mentions.filter(entity=china).values_list("origin", flat=True)) == {"editor"}
    with pytest.raises(CurationError):
        tag_words(bank, china, "   ")


def test_whole_words_only():
    assert word_places(["China and Chinese, China."], "China") == [(1, 0, 5), (1, 19, 24)]
    assert word_places(["Indochina"], "china") == []


def test_hostile_names_and_text_are_escaped(admin_client, bank):
    hostile = Entity.objects.create(
        name="<script>alert(1)</script>", slug="hostile", kind=Entity.Kind.GROUP
    )
    bank.body += "\n\nThey wrote <b>Henan</b> on the wall."
    save_article(bank)
    tag_words(bank, hostile, "<b>Henan</b>")
    html = admin_client.get(tags_page(bank)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "They wrote <mark>&lt;b&gt;Henan&lt;/b&gt;</mark> on the wall." in html


def test_a_long_list_shows_the_first_sentences_and_counts_them_all(
    bank, django_assert_max_num_queries
):
    long_read = tag_every_occurrence(
        save_article(Article(title="Long", slug="long", body="\n\n".join([BANK_BODY] * 30))),
        "china",
        "China",
    )
    with django_assert_max_num_queries(2):
        groups = tags_by_entity(long_read, shown=10)
    china = next(g for g in groups if g.entity.slug == "china")
    assert china.tagged == long_read.mentions.filter(entity__slug="china").count() == 150
    assert len(china.shown) == 10 and china.not_shown == 140
    assert [o.mention.paragraph for o in china.shown][:3] == [1, 2, 2]


def test_editors_may_curate_others_may_only_look(client, bank, editor):
    china = Entity.objects.get(slug="china")
    assert client.get(tags_page(bank)).status_code == 200
    viewer = User.objects.create_user("viewer", password="a long enough passphrase", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_article", "view_mention"])
    )
    client.force_login(viewer)
    page = client.get(tags_page(bank))
    assert page.status_code == 200 and "Reject all" not in page.content.decode()
    assert client.post(tags_page(bank), {"reject_entity": china.pk}).status_code == 403
    assert not bank.mentions.filter(rejected=True).exists()
    # Allowed to change tags but not to add them: no tagging by words.
    viewer.user_permissions.add(Permission.objects.get(codename="change_mention"))
    viewer = User.objects.get(pk=viewer.pk)  # permissions are cached on the instance
    client.force_login(viewer)
    words = {"tag_words": "1", "words": "Henan", "entity": china.pk}
    assert client.post(tags_page(bank), words).status_code == 403
    assert not bank.mentions.filter(surface="Henan").exists()
    client.logout()
    assert client.get(tags_page(bank)).status_code == 302  # to the login page


def test_the_entitys_tags_across_the_archive_cost_the_same_for_any_number(
    admin_client, bank, django_assert_max_num_queries
):
    china = Entity.objects.get(slug="china")
    for n in range(30):
        tag_every_occurrence(
            save_article(Article(title=f"Copy {n}", slug=f"copy-{n}", body=BANK_BODY)),
            "china",
            "China",
        )
    url = f"{reverse('admin:archive_mention_changelist')}?entity__id__exact={china.pk}"
    # The session, the user, the entity, the count of its tags, one page of them, the
    # paragraphs they stand in: the same six queries for 155 tags or for 305.
    with django_assert_max_num_queries(6) as small:
        page = admin_client.get(url + "&o=")
    assert Mention.objects.filter(entity=china).count() == 155
    html = page.content.decode()
    assert "<title>Tags of China across the archive | Archive editors</title>" in html
    assert html.count('name="_selected_action"') == 100  # one page of them
    assert "Regulators in <mark>China</mark> have promised to act." in html
    assert "Copy 29" in html and "¶4</a>" in html  # newest articles first
    for n in range(30, 60):
        tag_every_occurrence(
            save_article(Article(title=f"Copy {n}", slug=f"copy-{n}", body=BANK_BODY)),
            "china",
            "China",
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        admin_client.get(url + "&p=2")


def test_bulk_reject_on_the_entitys_list_clears_it_from_the_chosen_articles(admin_client, bank):
    china = Entity.objects.get(slug="china")
    one = bank.mentions.filter(entity=china).first()
    url = f"{reverse('admin:archive_mention_changelist')}?entity__id__exact={china.pk}"
    response = admin_client.post(
        url, {"action": "reject_entity_in_articles", "_selected_action": [one.pk]}, follow=True
    )
    count = bank.mentions.filter(entity=china).count()
    assert f"{count} tag(s) rejected in 1 article(s)" in response.content.decode()
    assert not bank.mentions.filter(entity=china, rejected=False).exists()
    assert bank.pk not in indexed_with("china")

    # Two articles chosen at once; a third, not chosen, keeps its tags.
    copies = [
        tag_every_occurrence(
            save_article(Article(title=f"Copy {n}", slug=f"copy-{n}", body=BANK_BODY)),
            "china",
            "China",
        )
        for n in range(3)
    ]
    chosen = [copies[0].mentions.filter(entity=china).first().pk]
    chosen += list(copies[1].mentions.filter(entity=china).values_list("pk", flat=True)[:2])
    response = admin_client.post(
        url, {"action": "reject_entity_in_articles", "_selected_action": chosen}, follow=True
    )
    assert f"{2 * count} tag(s) rejected in 2 article(s)" in response.content.decode()
    assert [c.mentions.filter(entity=china, rejected=False).count() for c in copies] == [
        0,
        0,
        count,
    ]


def test_the_entitys_form_links_to_its_tags_across_the_archive(admin_client, bank):
    china = Entity.objects.get(slug="china")
    form = admin_client.get(reverse("admin:archive_entity_change", args=[china.pk]))
    html = form.content.decode().replace("&amp;", "&")
    count = Mention.objects.filter(entity=china).count()
    assert f"{count} tags across the archive, 0 rejected" in html
    assert f"/admin/archive/mention/?entity__id__exact={china.pk}" in html


ZAIR_ONLY = (
    'The call came at night.\n\n"They knew my address," Zair said, and the police came again.'
)


def test_a_possible_mention_is_offered_and_one_click_tags_it(admin_client):
    """A surname alone ("Zair") is not tagged; the editor sees it in its sentence and tags
    it, and the article's quote by "Zair" then has Kerim Zair as its speaker."""
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    article = save_article(
        Article(title="Zair", slug="zair-only", body=ZAIR_ONLY, status=Article.Status.PUBLISHED)
    )
    zair = Entity.objects.get(slug="kerim-zair")
    assert not article.mentions.filter(entity=zair).exists()
    assert article.quotes.get().speaker is None
    html = admin_client.get(tags_page(article)).content.decode()
    section = html.split('id="possible-tags-heading"')[1].split("</section>")[0]
    assert "<mark>Zair</mark> said" in section and "Kerim Zair?" in section
    key = f"{zair.pk}:2:"
    value = section.split(f'value="{key}')[1].split('"')[0]

    response = admin_client.post(tags_page(article), {"confirm_possible": key + value})
    assert response.status_code == 302
    tag = article.mentions.get(entity=zair)
    assert (tag.origin, tag.paragraph, tag.surface) == (Mention.Origin.EDITOR, 2, "Zair")
    assert article.quotes.get().speaker == zair
    assert article.pk in indexed_with("kerim-zair")
    html = admin_client.get(tags_page(article)).content.decode()
    assert 'id="possible-tags-heading"' not in html  # nothing left to confirm

    # A stale button (the text changed since) is refused, saying why, and tags nothing.
    stale = admin_client.post(tags_page(article), {"confirm_possible": f"{zair.pk}:9:0:4"})
    assert "no longer in the article" in admin_client.get(stale.url).content.decode()
    assert article.mentions.filter(entity=zair).count() == 1
