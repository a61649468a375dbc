"""Capture from the web: fetch a page safely, keep the HTTP exchange as WARC, extract the article.

`fetch` talks to the network (only to public addresses unless allowed), `warc` writes and
reads the evidentiary copy, `extract` reads the text and metadata, `records` stores a capture
and its article through the archive's one save path, `as_captured` cleans the page for readers.
"""
