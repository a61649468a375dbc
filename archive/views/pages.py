"""Pages that explain the archive: what it collects, how it is curated and cited, whom to tell."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def about(request):
    return render(request, "pages/about.html", {"contact_email": settings.ARCHIVE_CONTACT_EMAIL})
