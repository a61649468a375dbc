"""The Editors group: exactly the permissions an editor needs, kept in step on every migrate.

Editors add, correct, publish and unpublish articles, curate sources and
entities (merging duplicates too), and look at history. They do not delete
articles, sources or entities (unpublishing hides an article without losing
it) and they do not manage users.
"""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

EDITORS_GROUP = "Editors"

EDITOR_PERMISSIONS = {
    "article": ("add", "change", "view"),
    "source": ("add", "change", "view"),
    # Merging deletes the merged entities, which then redirect to the one kept.
    "entity": ("add", "change", "merge", "view"),
    "alias": ("add", "change", "delete", "view"),
    "mention": ("add", "change", "delete", "view"),
    "relatedlink": ("add", "change", "delete", "view"),
    # Merging or splitting quotes replaces them; their history keeps the old ones.
    "quote": ("add", "change", "delete", "view"),
    # Captures are evidence: made by capturing an address (adding an article), never edited.
    "capture": ("view",),
    # What the originals answered when asked again: recorded by check_originals, never edited.
    "originalcheck": ("view",),
    "historicalarticle": ("view",),
    "historicalsource": ("view",),
    "historicalentity": ("view",),
    "historicalalias": ("view",),
    "historicalmention": ("view",),
    "historicalrelatedlink": ("view",),
    "historicalquote": ("view",),
}


def editor_permission_codenames() -> set[str]:
    return {
        f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions
    }


def ensure_editors_group(sender=None, app_config=None, using="default", **kwargs):
    """Create or reset the Editors group to exactly EDITOR_PERMISSIONS."""
    if app_config is not None:
        # Permissions are normally created by auth's own post_migrate handler;
        # make sure they exist whatever order the handlers run in.
        create_permissions(app_config, verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=EDITORS_GROUP)
    wanted = editor_permission_codenames()
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="archive", codename__in=wanted
    )
    found = {p.codename for p in permissions}
    missing = wanted - found
    if missing:
        raise RuntimeError(f"Editors group: permissions not found: {sorted(missing)}")
    group.permissions.set(permissions)
    return group
