"""Logging in through the admin's login page in Chromium lands on a page of the archive's own."""

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "a long enough passphrase"


@pytest.fixture
def editor_account(db):
    return User.objects.create_user("ayse", password=PASSWORD, is_staff=True)


def log_in(page, live_server, next_url):
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "ayse")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")


@pytest.mark.parametrize(
    "refused_next",
    ["https://attacker.example/", "//attacker.example/", "https%3A%2F%2Fattacker.example%2F"],
)
def test_a_refused_next_lands_on_the_admin_index(live_server, page, editor_account, refused_next):
    log_in(page, live_server, refused_next)
    assert page.url == f"{live_server.url}/admin/"
    assert page.title().startswith("Articles, sources and entities")


def test_a_next_within_the_admin_is_followed(live_server, page, editor_account):
    log_in(page, live_server, "/admin/password_change/")
    assert page.url == f"{live_server.url}/admin/password_change/"
