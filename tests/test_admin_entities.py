"""Editors curate entities in the admin: merge duplicates, create suggested ones, reject tags."""

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse

from archive.editors import editor_permission_codenames
from archive.entities.tagging import retag_article
from archive.models import Alias, Article, Entity, EntityRedirect, Mention

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged_seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


def test_merging_asks_which_to_keep_then_moves_everything(client, editor):
    keep = Entity.objects.create(name="Uyghurs", slug="uyghurs", kind=Entity.Kind.GROUP)
    other = Entity.objects.create(name="Uighurs", slug="uighurs", kind=Entity.Kind.GROUP)
    Alias.objects.create(entity=other, name="Uigur")
    changelist = reverse("admin:archive_entity_changelist")
    selected = {"action": "merge", "_selected_action": [keep.pk, other.pk]}

    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200
    assert "Choose the one to keep" in confirm.content.decode()
    assert Entity.objects.count() == 2  # nothing merged before confirming

    done = client.post(changelist, {**selected, "keep": keep.pk}, follow=True)
    assert "Merged 1 entity into Uyghurs" in done.content.decode()
    assert list(Entity.objects.values_list("name", flat=True)) == ["Uyghurs"]
    assert {a.name for a in keep.aliases.all()} >= {"Uighurs", "Uigur"}
    assert EntityRedirect.objects.get(old_slug="uighurs").entity == keep


def editor_without(codename):
    """A staff user with the Editors' permissions except `codename`."""
    user = User.objects.create_user("nomerge", password="a long enough passphrase", is_staff=True)
    wanted = editor_permission_codenames() - {codename}
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="archive", codename__in=wanted)
    )
    return user


def test_merging_needs_its_own_permission_not_just_change(client):
    keep = Entity.objects.create(name="Uyghurs", slug="uyghurs", kind=Entity.Kind.GROUP)
    other = Entity.objects.create(name="Uighurs", slug="uighurs", kind=Entity.Kind.GROUP)
    user = editor_without("merge_entity")
    assert user.has_perm("archive.change_entity") and not user.has_perm("archive.delete_entity")
    client.force_login(user)
    changelist = reverse("admin:archive_entity_changelist")
    assert 'value="merge"' not in client.get(changelist).content.decode()

    selected = {"action": "merge", "_selected_action": [keep.pk, other.pk], "keep": keep.pk}
    assert client.post(changelist, selected, follow=True).status_code == 200
    assert Entity.objects.count() == 2  # nothing merged, nothing deleted

    user.user_permissions.add(Permission.objects.get(codename="merge_entity"))
    client.force_login(User.objects.get(pk=user.pk))  # permissions are cached per user object
    assert 'value="merge"' in client.get(changelist).content.decode()
    client.post(changelist, selected)
    assert list(Entity.objects.values_list("name", flat=True)) == ["Uyghurs"]


def test_merge_needs_two_entities(client, editor):
    one = Entity.objects.create(name="Xinjiang", slug="xinjiang", kind=Entity.Kind.PLACE)
    response = client.post(
        reverse("admin:archive_entity_changelist"),
        {"action": "merge", "_selected_action": [one.pk]},
        follow=True,
    )
    assert "Select at least two entities to merge." in response.content.decode()


def test_suggested_entities_are_listed_and_created_in_one_click(client, editor, tagged_seeds):
    Entity.objects.filter(name="Abduweli Ayup").delete()
    url = reverse("admin:archive_entity_suggestions")
    page = client.get(url).content.decode()
    assert "Abduweli Ayup" in page

    response = client.post(url, {"name": "Abduweli Ayup", "kind": "person"})
    entity = Entity.objects.get(name="Abduweli Ayup")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:archive_entity_change", args=[entity.pk])
    assert entity.kind == "person" and entity.slug == "abduweli-ayup"


def test_suggestions_need_the_permission_to_add_entities(client):
    clerk = User.objects.create_user("clerk", password="a long enough passphrase", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:archive_entity_suggestions")).status_code == 403


def test_a_tag_rejected_in_the_admin_stays_rejected_when_the_article_is_retagged(
    client, editor, tagged_seeds
):
    mention = Mention.objects.filter(entity__name="Muslims").first()
    article = mention.article
    for mention in Mention.objects.filter(article=article, entity__name="Muslims"):
        mention.rejected = True  # the editor says: not Muslims, anywhere in this article
        mention.save()
    retag_article(Article.objects.get(pk=article.pk))
    assert not Mention.objects.filter(
        article=article, entity__name="Muslims", rejected=False
    ).exists()
