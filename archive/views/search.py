"""The search page (being written by the lead)."""

from django.http import HttpResponse


def search(request):
    return HttpResponse("")
