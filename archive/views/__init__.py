"""Thin views: parse the request, call one function, render."""
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


home = article_list = article_detail = source_list = unknown_source = source_detail = _todo
entity_list = entity_detail = search = _todo
