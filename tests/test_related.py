"""What a reader sees under "Related articles": the editors' links, then stories on the same affair.

The seeds are tagged on import (the vocabulary is loaded first) and indexed
in a real Whoosh index in a temporary directory.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.models import Article, Entity, Mention, RelatedLink, RelatedList
from archive.related import SIMILAR_WORDING, refresh_related_lists, related_documents

pytestmark = pytest.mark.django_db(transaction=True)

EXTRADITION = {"000", "002", "003"}  # Uyghurs in Turkey, and China asking for them back
LEAKS = {"001", "004"}  # the leaked Xinjiang documents


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    return {article.external_id[:3]: article for article in Article.objects.all()}


def names(related, seeds):
    by_pk = {article.pk: name for name, article in seeds.items()}
    return [by_pk.get(r.article.pk, r.article.slug) for r in related]


@pytest.mark.parametrize("seed", sorted(EXTRADITION))
def test_an_extradition_story_leads_to_the_other_two(seeds, seed):
    related = related_documents(seeds[seed])
    assert set(names(related, seeds)[:2]) == EXTRADITION - {seed}


@pytest.mark.parametrize("seed", sorted(LEAKS))
def test_a_leak_story_leads_to_the_other_first(seeds, seed):
    related = related_documents(seeds[seed])
    assert names(related, seeds)[0] == (LEAKS - {seed}).pop()


def test_the_editors_links_come_first_with_their_notes_in_their_order(seeds):
    article = seeds["000"]
    RelatedLink.objects.create(from_article=article, to_article=seeds["004"], note="Same camps")
    RelatedLink.objects.create(from_article=article, to_article=seeds["001"])
    related = related_documents(article)
    assert names(related, seeds)[:2] == ["004", "001"]
    assert [r.curated for r in related] == [True, True, False, False]
    assert (related[0].note, related[0].reason) == ("Same camps", "Same camps")
    assert related[1].note == "" and related[1].reason  # still says why
    assert len(set(names(related, seeds))) == 4  # a linked article is not found again
    assert related_documents(article, limit=1)[0].article == seeds["004"]


def test_drafts_never_appear_even_when_an_editor_linked_them(seeds):
    draft = seeds["002"]
    RelatedLink.objects.create(from_article=seeds["000"], to_article=draft, note="Follow-up")
    draft.status = Article.Status.DRAFT
    save_article(draft)
    for seed in ("000", "001", "003", "004"):
        assert draft not in [r.article for r in related_documents(seeds[seed])]


def test_an_article_is_never_related_to_itself(seeds):
    for article in seeds.values():
        related = related_documents(article, limit=10)
        assert article not in [r.article for r in related]
        assert len(related) == 4


def test_the_same_text_under_another_slug_is_not_offered(seeds):
    original = seeds["002"]
    save_article(
        Article(
            title="Copy of the Kazakh protests",
            slug="copy-of-002",
            body=original.body,
            status=Article.Status.PUBLISHED,
        )
    )
    copy_of_003 = save_article(
        Article(
            title="Copy of the spying report",
            slug="copy-of-003",
            body=seeds["003"].body,
            status=Article.Status.PUBLISHED,
        )
    )
    assert SearchQuerySet().filter(title="Copy").count() == 2  # both are indexed
    related = related_documents(original, limit=10)
    texts = [r.article.body_sha256 for r in related]
    assert original.body_sha256 not in texts
    assert len(texts) == len(set(texts)) == 4  # 003 or its copy, not both
    assert {seeds["003"], copy_of_003} & {r.article for r in related}


def test_the_reason_names_the_shared_entities_most_specific_first(seeds):
    related = {r.article: r for r in related_documents(seeds["001"])}
    leak = related[seeds["004"]]
    assert leak.reason.startswith("shares: ")
    shared = leak.reason.removeprefix("shares: ").split(", ")
    assert len(shared) == 3
    # persons, organisations and documents before places and groups like China
    assert set(shared) <= {
        "International Consortium of Investigative Journalists",
        "The New York Times",
        "Xi Jinping",
    }
    extradition = related_documents(seeds["000"])[0]
    assert "Turkey" in extradition.reason


def test_a_rejected_tag_is_not_a_reason(seeds):
    Mention.objects.filter(article=seeds["004"], entity__name="Xi Jinping").update(rejected=True)
    reason = next(r.reason for r in related_documents(seeds["001"]) if r.article == seeds["004"])
    assert "Xi Jinping" not in reason


def test_articles_without_shared_entities_are_related_by_wording(seeds):
    words = "Detention camps in Xinjiang hold Uighurs, leaked documents show."
    first = save_article(
        Article(title="Camps", slug="camps-a", body=words, status=Article.Status.PUBLISHED)
    )
    second = save_article(
        Article(
            title="Camps again",
            slug="camps-b",
            body=words + " More leaked documents.",
            status=Article.Status.PUBLISHED,
        )
    )
    Mention.objects.filter(article__in=[first, second]).delete()
    related = related_documents(first)
    assert related[0].article == second
    assert related[0].reason == SIMILAR_WORDING


def test_when_the_search_engine_fails_shared_entities_still_relate_articles(seeds, monkeypatch):
    def broken(self, model_instance):
        raise OSError("the index is locked")

    monkeypatch.setattr(SearchQuerySet, "more_like_this", broken)
    related = related_documents(seeds["001"])
    assert names(related, seeds)[0] == "004"
    assert all(r.reason.startswith("shares: ") for r in related)


@pytest.mark.whoosh
def test_when_the_index_is_missing_shared_entities_still_relate_articles(seeds, search_index):
    import shutil

    shutil.rmtree(search_index.path)
    assert names(related_documents(seeds["004"]), seeds)[0] == "001"


@pytest.mark.slow
def test_the_number_of_queries_does_not_grow_with_the_archive(seeds, django_assert_max_num_queries):
    article = seeds["001"]
    RelatedLink.objects.create(from_article=article, to_article=seeds["003"], note="See also")
    related_documents(article)  # warm the search engine's files
    RelatedList.objects.all().delete()
    with django_assert_max_num_queries(20) as working_out:
        related_documents(article)  # worked out and stored
    with django_assert_max_num_queries(5) as stored:
        related_documents(article)
    for n in range(40):
        save_article(
            Article(
                title=f"Leaked Xinjiang documents {n}",
                slug=f"leak-{n}",
                body=(
                    f"Report {n}: Xi Jinping and the Chinese Communist Party in Xinjiang, "
                    "according to leaked documents on the Uighurs seen by The New York Times."
                ),
                status=Article.Status.PUBLISHED,
            )
        )
    assert Mention.objects.filter(article__slug="leak-7").exists()  # tagged on save
    refresh_related_lists(everything=True)  # what `refresh_related --all` does
    with django_assert_max_num_queries(len(stored.captured_queries)):
        related = related_documents(article, limit=10)
    assert len(related) == 10
    RelatedList.objects.filter(article=article).delete()
    with django_assert_max_num_queries(len(working_out.captured_queries)):
        assert len(related_documents(article, limit=10)) == 10


def test_a_name_in_both_first_paragraphs_weighs_more(seeds):
    """¶1 is the lead: an article naming the entity there ranks above one naming it in ¶2."""
    ghulja = Entity.objects.create(name="Ghulja", slug="ghulja", kind=Entity.Kind.PLACE)
    lead, later = "Ghulja courts sentenced relatives.", "The families asked for news of them."

    def publish(slug, *paragraphs):
        article = save_article(
            Article(
                title=slug, slug=slug, body="\n\n".join(paragraphs), status=Article.Status.PUBLISHED
            )
        )
        article.mentions.all().delete()
        number = next(n for n, text in enumerate(paragraphs, start=1) if text == lead)
        Mention.objects.create(
            article=article, entity=ghulja, paragraph=number, start=0, end=6, surface="Ghulja"
        )
        return article

    in_second = publish("named-in-the-second", later, lead)  # older: first on a tie
    in_first = publish("named-in-the-first", lead, later)
    target = publish("target", lead, "Nobody was told where they are held.")
    assert [r.article for r in related_documents(target)][:2] == [in_first, in_second]


COMMON = {"China", "Uyghurs", "Muslims", "Xinjiang"}  # named in 4 or 5 of the 5 seeds


def shared_names(related):
    return set(related.reason.removeprefix("shares: ").split(", "))


def test_names_found_in_nearly_every_article_are_no_reason(seeds):
    """Not "Shares: Muslims, China, Uyghurs": alike only in those, an article is alike in
    wording."""
    reasons = [r for article in seeds.values() for r in related_documents(article)]
    assert reasons
    for related in reasons:
        assert not shared_names(related) & COMMON, related.reason
    spying = {r.article: r.reason for r in related_documents(seeds["001"])}
    assert spying[seeds["003"]] == SIMILAR_WORDING  # shares only Muslims, China, Uyghurs


def test_without_wording_common_names_alone_relate_nothing(seeds, monkeypatch):
    def broken(self, model_instance):
        raise OSError("the index is locked")

    monkeypatch.setattr(SearchQuerySet, "more_like_this", broken)
    for article in seeds.values():
        for related in related_documents(article):
            assert related.reason.startswith("shares: ")
            assert shared_names(related) - COMMON, related.reason
    assert seeds["003"] not in [r.article for r in related_documents(seeds["001"])]


# Stored lists (RelatedList): worked out once per state of an article, read by its page


def refuse_more_like_this(monkeypatch):
    def refused(self, model_instance):
        raise AssertionError("more-like-this asked for a stored list")

    monkeypatch.setattr(SearchQuerySet, "more_like_this", refused)


def test_an_article_page_reads_its_stored_list_without_asking_the_search_engine(
    seeds, client, monkeypatch
):
    assert refresh_related_lists() == len(seeds)  # what sync_index does after a flush
    refuse_more_like_this(monkeypatch)
    page = client.get(seeds["000"].get_absolute_url()).content.decode()
    for seed in EXTRADITION - {"000"}:
        assert seeds[seed].title in page


def test_an_article_read_before_its_list_is_worked_out_shows_shared_names_and_keeps_nothing(
    seeds, client, monkeypatch
):
    """A reader's page never waits for more-like-this (a second or more at 100,000 articles):
    until sync_index stores the list, the articles sharing its particular names stand in."""
    article = seeds["002"]
    with monkeypatch.context() as engine:
        refuse_more_like_this(engine)
        page = client.get(article.get_absolute_url()).content.decode()
    assert not RelatedList.objects.filter(article=article).exists()
    shared = related_documents(article, work_out=False)
    assert shared and all(r.reason.startswith("shares: ") for r in shared)
    for related in shared:
        assert related.article.title in page

    assert refresh_related_lists() == len(seeds)  # what sync_index does after a flush
    page = client.get(article.get_absolute_url()).content.decode()
    assert all(seeds[seed].title in page for seed in EXTRADITION - {"002"})


def test_an_edited_article_shows_its_earlier_list_until_it_is_worked_out_again(
    seeds, client, monkeypatch
):
    refresh_related_lists()
    article = seeds["000"]
    earlier = RelatedList.objects.get(article=article)
    article.body += "\n\nA new last paragraph."
    save_article(article)
    with monkeypatch.context() as engine:
        refuse_more_like_this(engine)
        page = client.get(article.get_absolute_url()).content.decode()
    for pk, _reason in earlier.related[:3]:
        assert Article.objects.get(pk=pk).title in page
    call_command("sync_index", stdout=io.StringIO())  # cron's next run
    assert RelatedList.objects.get(article=article).version != earlier.version


def test_an_editors_preview_of_a_draft_works_out_the_list_it_would_have(
    seeds, client, editor, monkeypatch
):
    draft = seeds["002"]
    Article.objects.filter(pk=draft.pk).update(status=Article.Status.DRAFT)
    asked = []
    more_like_this = SearchQuerySet.more_like_this
    monkeypatch.setattr(
        SearchQuerySet, "more_like_this", lambda sqs, m: asked.append(m) or more_like_this(sqs, m)
    )
    page = client.get(draft.get_absolute_url()).content.decode()
    assert asked and all(seeds[seed].title in page for seed in EXTRADITION - {"002"})
    assert not RelatedList.objects.filter(article=draft).exists()  # a draft's is not kept


def test_an_article_unpublished_after_the_lists_were_stored_is_no_longer_offered(
    seeds, client, monkeypatch
):
    refresh_related_lists()
    refuse_more_like_this(monkeypatch)
    withdrawn = seeds["002"]
    Article.objects.filter(pk=withdrawn.pk).update(status=Article.Status.DRAFT)
    for seed in ("000", "003"):
        related = related_documents(seeds[seed])
        assert withdrawn not in [r.article for r in related]
        assert len(related) == 3  # the other three, from the stored list


def test_an_edited_article_gets_a_new_list_from_its_new_text(seeds, monkeypatch):
    refresh_related_lists()
    spying = seeds["003"]
    assert names(related_documents(spying), seeds)[0] in EXTRADITION
    spying.body = seeds["001"].body.replace("Xinjiang", "Xinjiang region") + "\n\nA new ending."
    save_article(spying)
    assert names(related_documents(spying), seeds)[0] == "001"


def test_a_new_article_enters_the_older_lists_it_belongs_in(seeds):
    refresh_related_lists()
    leak = seeds["004"]
    follow_up = save_article(
        Article(
            title="More leaked papers",
            slug="more-leaked-papers",
            body=leak.body + "\n\nThe consortium published more of the papers.",
            status=Article.Status.PUBLISHED,
        )
    )
    # Its own list, then again those of the articles in it: each was worked out without it.
    assert refresh_related_lists() == 1 + len(seeds)
    assert names(related_documents(leak), seeds)[0] == follow_up.slug


def test_sync_index_works_out_missing_lists_and_rebuild_leaves_them_current(seeds, monkeypatch):
    out = io.StringIO()
    call_command("sync_index", stdout=out)
    assert f"related documents of {len(seeds)} article(s)" in out.getvalue()
    call_command("rebuild_index", interactive=False, verbosity=0)
    call_command("refresh_related", stdout=out)
    assert "0 article(s) had no up-to-date list" in out.getvalue()
    refuse_more_like_this(monkeypatch)
    assert names(related_documents(seeds["001"]), seeds)[0] == "004"
    call_command("verify", "--index", stdout=out)
    assert "Related documents: 0 published article(s) without an up-to-date list" in out.getvalue()
    Mention.objects.filter(article=seeds["001"]).first().delete()  # a tag removed, not indexed
    with pytest.raises(CommandError):  # the index entry is stale too
        call_command("verify", "--index", stdout=out, stderr=io.StringIO())
    assert "Related documents: 1 published article(s) without an up-to-date list" in out.getvalue()


def test_a_list_worked_out_again_is_not_hidden_behind_a_304(seeds, client):
    refresh_related_lists()
    url = seeds["000"].get_absolute_url()
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # sync_index works the list out again (the archive itself unchanged): the page changed.
    stored = RelatedList.objects.get(article=seeds["000"])
    stored.related = stored.related[:1]
    stored.save()
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304
