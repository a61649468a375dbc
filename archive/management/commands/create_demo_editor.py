"""Create (or reset) the demo editor account and print its new password."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from archive.editors import ensure_editors_group


class Command(BaseCommand):
    help = "Create or reset an editor account in the Editors group and print a fresh password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        password = secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.add(ensure_editors_group())
        verb = "Created" if created else "Reset"
        self.stdout.write(f"{verb} editor account: username {username!r}, password {password!r}")
