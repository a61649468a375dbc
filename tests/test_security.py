"""Production settings, security headers, the admin login lockout and password strength."""

import io
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from archive.models import Article

ROOT = Path(__file__).resolve().parent.parent
STRICT_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def run_with_env(args, tmp_path, **env):
    """Run a Python command in a fresh process with the archive's settings from `env`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ARCHIVE_", "DJANGO_")) and key not in ("DEBUG", "SECRET_KEY")
    }
    environment.update(ARCHIVE_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DEBUG": "0",
    "ARCHIVE_PRODUCTION": "1",
    "ALLOWED_HOSTS": "example.org",
}


def test_deploy_check_passes_with_production_settings_over_https(tmp_path):
    result = run_with_env(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        ARCHIVE_HTTPS="1",
        SECRET_KEY=secrets.token_urlsafe(60),
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_when_https_settings_are_off(tmp_path):
    """The switch is what makes the check pass: plain HTTP is for loopback only."""
    result = run_with_env(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(60),
        **PRODUCTION_ENV,
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_with_env(["manage.py", "check"], tmp_path, **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


HTTPS_PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/static/archive/archive.css")
print("plain", plain.status_code, plain.get("Location"))
secure = client.get("/static/archive/archive.css", secure=True)
print("secure", secure.status_code, secure.get("Strict-Transport-Security"))
from django.conf import settings
print("secure-cookies", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
print("proxy-header", getattr(settings, "SECURE_PROXY_SSL_HEADER", None))
"""


def test_https_switch_redirects_to_https_and_sends_hsts(tmp_path):
    https = run_with_env(
        ["-c", HTTPS_PROBE],
        tmp_path,
        DJANGO_SETTINGS_MODULE="archive.settings",
        ARCHIVE_HTTPS="1",
        ALLOWED_HOSTS="testserver",
    )
    assert https.returncode == 0, https.stderr
    assert "plain 301 https://testserver/static/archive/archive.css" in https.stdout
    assert "secure 200 max-age=31536000; includeSubDomains; preload" in https.stdout
    assert "secure-cookies True True" in https.stdout
    # A client's X-Forwarded-Proto is not believed unless a proxy is declared.
    assert "proxy-header None" in https.stdout

    loopback = run_with_env(
        ["-c", HTTPS_PROBE],
        tmp_path,
        DJANGO_SETTINGS_MODULE="archive.settings",
        ALLOWED_HOSTS="testserver",
    )
    assert loopback.returncode == 0, loopback.stderr
    assert "plain 200 None" in loopback.stdout
    assert "secure 200 None" in loopback.stdout
    assert "secure-cookies False False" in loopback.stdout


def test_a_declared_tls_proxy_is_believed(tmp_path):
    result = run_with_env(
        ["-c", HTTPS_PROBE],
        tmp_path,
        DJANGO_SETTINGS_MODULE="archive.settings",
        ARCHIVE_HTTPS="1",
        ARCHIVE_PROXY_SETS_X_FORWARDED_PROTO="1",
        ALLOWED_HOSTS="testserver",
    )
    assert "proxy-header ('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout


@pytest.fixture
def published(db):
    return Article.objects.create(
        title="Uighur faces extradition from Turkey",
        slug="uighur-faces-extradition",
        body="Enver Turdi fled Xinjiang in 2014.\n\nThe request was accepted in 2017.",
        status=Article.Status.PUBLISHED,
    )


def assert_security_headers(response):
    directives = response["Content-Security-Policy"].split("; ")
    assert len(directives) == len(STRICT_CSP) and set(directives) == STRICT_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)


def assert_nothing_inline(page):
    """Nothing the strict policy would block: no inline script, handler or style."""
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page)
    assert not INLINE_HANDLER.search(page), INLINE_HANDLER.search(page)
    assert not INLINE_STYLE.search(page), INLINE_STYLE.search(page)


@pytest.mark.django_db
def test_public_pages_send_the_strict_policy_and_need_nothing_inline(client, published):
    for url in (
        reverse("home"),
        reverse("article-list"),
        published.get_absolute_url(),
        reverse("source-list"),
        reverse("entity-list"),
        reverse("search") + "?q=Xinjiang",
        reverse("search-help"),
        "/no-such-page/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_security_headers(response)
        assert_nothing_inline(response.content.decode())


@pytest.mark.django_db
def test_the_admin_works_under_the_strict_policy(client, editor, published):
    """Django's admin loads its JavaScript from files: every page works with no inline script."""
    for url in (
        reverse("admin:index"),
        reverse("admin:archive_article_changelist"),
        reverse("admin:archive_article_add"),
        reverse("admin:archive_article_change", args=[published.pk]),
        reverse("admin:archive_article_history", args=[published.pk]),
        reverse("admin:archive_entity_changelist"),
        reverse("admin:archive_entity_add"),
        reverse("admin:archive_source_add"),
        reverse("admin:password_change"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page))
        assert not INLINE_HANDLER.search(page), (url, INLINE_HANDLER.search(page))
        # django-simple-history's history list has one inline style; the policy
        # blocks it, and all that changes is a border line above its paginator.
        page = page.replace('<p class="paginator" style="border-top: 0">', "")
        assert not INLINE_STYLE.search(page), (url, INLINE_STYLE.search(page))


def test_our_templates_have_no_inline_script_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        assert_nothing_inline(template.read_text())


# The admin login lockout.

PASSWORD = "a long enough passphrase"


@pytest.fixture
def staff(db):
    return User.objects.create_user("ayse", password=PASSWORD, is_staff=True)


def log_in(client, password, username="ayse", address="203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def fail_five_times(client):
    for attempt in range(4):
        response = log_in(client, f"wrong guess {attempt}")
        assert response.status_code == 200  # the login form again, with its error
        assert "Please enter the correct username and password" in response.content.decode()
    assert_locked_out(log_in(client, "wrong guess 5"))


def assert_locked_out(response):
    assert response.status_code == 429
    page = response.content.decode()
    assert "Login locked" in page
    assert "locked for an hour, even with the right password" in page
    assert "axes_reset_username ayse" in page
    assert '<link rel="stylesheet"' in page  # in the site's design
    assert "_auth_user_id" not in response.client.session


def test_five_failed_logins_lock_the_right_password_out(client, staff):
    fail_five_times(client)
    assert_locked_out(log_in(client, PASSWORD))
    assert client.get(reverse("admin:index")).status_code == 302  # still not logged in


def test_the_lockout_is_per_user_name_and_address(client, staff):
    fail_five_times(client)
    User.objects.create_user("mehmet", password=PASSWORD, is_staff=True)
    assert log_in(client, PASSWORD, username="mehmet").status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, address="198.51.100.20").status_code == 302


def test_the_lockout_lasts_an_hour():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 1


@pytest.mark.parametrize("command", [["axes_reset"], ["axes_reset_username", "ayse"]])
def test_an_administrator_lifts_the_lockout(client, staff, command):
    fail_five_times(client)
    assert_locked_out(log_in(client, PASSWORD))
    call_command(*command, stdout=io.StringIO())
    response = log_in(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_logins_without_a_request_still_work(staff, client):
    """Tests and scripts log in without an HTTP request; there is no address to lock."""
    assert client.login(username="ayse", password=PASSWORD)


# Password strength.


@pytest.mark.django_db
@pytest.mark.parametrize(
    "weak, reason",
    [
        ("short pass", "too short"),
        ("123456789012", "entirely numeric"),
        ("password1234", "too common"),
    ],
)
def test_an_editor_cannot_choose_a_weak_password(client, editor, weak, reason):
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    editor.refresh_from_db()
    assert editor.check_password(PASSWORD)


@pytest.mark.django_db
def test_an_editor_can_choose_a_strong_password(client, editor):
    strong = "correct horse battery staple"
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.check_password(strong)
