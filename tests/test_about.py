"""The about page: what is collected, how entities are curated and cited, whom to tell."""

import pytest

pytestmark = pytest.mark.django_db


def about(client):
    response = client.get("/about/")
    assert response.status_code == 200
    return response.content.decode()


def test_about_explains_the_archive_in_four_parts(client):
    page = about(client)
    for heading in (
        '<h2 id="collected">What is collected</h2>',
        '<h2 id="entities">How entities are curated</h2>',
        '<h2 id="citing">How to cite</h2>',
        '<h2 id="errors">How to report an error</h2>',
    ):
        assert heading in page
    assert '<nav class="contents" aria-label="On this page">' in page
    assert "persecution of Uyghurs and other Turkic peoples" in page
    assert "transnational repression" in page


def test_about_says_how_entities_are_curated(client):
    curation = about(client).split('id="entities"')[1].split('id="citing"')[0]
    for step in ("Aliases", "Rejection", "Merging", "Suggestions"):
        assert f"<strong>{step}.</strong>" in curation


def test_about_names_every_part_of_a_citation(client):
    citing = about(client).split('id="citing"')[1].split('id="errors"')[0]
    for part in ("source", "title", "date", "original report", "archived copy", "captured"):
        assert part in citing
    assert "SHA-256" in citing
    assert "<code>#p-</code>" in citing


def test_without_a_contact_address_readers_are_told_to_contact_the_editors(client, settings):
    settings.ARCHIVE_CONTACT_EMAIL = ""
    errors = about(client).split('id="errors"')[1]
    assert "contact the archive's editors" in errors
    assert "mailto:" not in errors


def test_the_contact_address_comes_from_the_settings_and_is_escaped(client, settings):
    settings.ARCHIVE_CONTACT_EMAIL = "corrections@archive.example"
    errors = about(client).split('id="errors"')[1]
    assert '<a href="mailto:corrections@archive.example">corrections@archive.example</a>' in errors
    settings.ARCHIVE_CONTACT_EMAIL = 'x"><script>alert(1)</script>@example.org'
    assert "<script>alert(1)" not in about(client)


def test_every_page_links_to_about_from_its_footer(client):
    for url in ("/", "/articles/", "/dates/", "/no-such-page/"):
        page = client.get(url).content.decode()
        footer = page.split('<footer class="site-footer">')[1]
        assert '<nav aria-label="About the archive">' in footer
        assert '<a href="/about/"' in footer, url


def test_the_footer_marks_the_about_page_as_current(client):
    assert '<a href="/about/" aria-current="page">About the archive</a>' in about(client)


def test_the_about_page_can_only_be_read(client):
    assert client.post("/about/").status_code == 405
