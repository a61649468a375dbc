"""A draft previewed at its future address by an editor who may change it: never cached,
never indexed; for everybody else the address is a 404, as if nothing were there."""

import pytest
from django.contrib.auth.models import Permission, User

from archive.articles import save_article
from archive.models import Article
from archive.views.caching import page_validators

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return save_article(
        Article(
            title="Relatives gather in Almaty",
            slug="relatives-gather-in-almaty",
            body="Dozens of relatives gathered outside the consulate in Almaty.",
        )
    )


@pytest.fixture
def published():
    return save_article(
        Article(
            title="Published report",
            slug="published-report",
            body="The camps grew.",
            status=Article.Status.PUBLISHED,
        )
    )


def test_an_editor_previews_a_draft_never_cached_never_indexed(client, editor, draft):
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft preview — not published" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Dozens of relatives gathered" in html
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")


def test_a_conditional_request_for_a_preview_is_answered_in_full(client, editor, draft, published):
    """The public pages' validator never turns a preview into a 304."""
    etag, _ = page_validators(published.get_absolute_url())
    assert client.get(published.get_absolute_url(), HTTP_IF_NONE_MATCH=etag).status_code == 304
    etag, _ = page_validators(draft.get_absolute_url())  # what the address would have
    response = client.get(draft.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Draft preview" in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "reader with an account", "viewer"])
def test_anybody_else_gets_the_404_of_an_empty_address(client, draft, who):
    if who != "anonymous":
        user = User.objects.create_user(who, password="a long enough passphrase")
        if who == "viewer":
            user.is_staff = True
            user.save()
            user.user_permissions.add(Permission.objects.get(codename="view_article"))
        client.force_login(user)
    response = client.get(draft.get_absolute_url())
    nothing = client.get("/articles/no-such-article/")
    assert response.status_code == nothing.status_code == 404
    # The same page but for the address asked for (its canonical link).
    same = response.content.decode().replace(draft.slug, "no-such-article")
    assert same == nothing.content.decode()
    assert "Relatives gather" not in response.content.decode()
    assert not response.has_header("ETag")


def test_a_published_article_looks_the_same_to_an_editor_and_is_revalidated(
    client, editor, published
):
    response = client.get(published.get_absolute_url())
    assert response.status_code == 200 and response.has_header("ETag")
    assert "Draft preview" not in response.content.decode()
    assert "noindex" not in response.content.decode()
    assert not response.has_header("X-Robots-Tag")


def test_the_articles_form_links_to_its_preview_or_public_page(client, editor, draft, published):
    form = client.get(f"/admin/archive/article/{draft.pk}/change/").content.decode()
    assert f'href="{draft.get_absolute_url()}"' in form and "Preview this draft" in form
    form = client.get(f"/admin/archive/article/{published.pk}/change/").content.decode()
    assert f'href="{published.get_absolute_url()}"' in form and "Preview this draft" not in form
