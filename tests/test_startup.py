"""A server process or command starts without the page-reading libraries (trafilatura,
htmldate): they load on the first captured page read, so the many starts that never read
one (gunicorn workers, cron's sync_index, every manage.py command) do not pay for them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In a fresh interpreter, so nothing imported by other tests counts.
PROBE = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
from django.core.management import get_commands, load_command_class
get_resolver().url_patterns  # every view and feed
import archive.admin
for name, app in get_commands().items():
    if app == "archive":
        load_command_class(app, name)
readers = ("trafilatura", "htmldate")
loaded = lambda: sorted({m.split(".")[0] for m in sys.modules} & set(readers))
at_start = loaded()
from archive.webcapture.extract import extract_article
page = b"<html lang='en'><head><title>T</title></head><body><article><p>" + b"Words. " * 60
found = extract_article(page + b"</p></article></body></html>", "https://example.org/a")
print(json.dumps({"at_start": at_start, "after_a_page": loaded(), "text": found.text[:6]}))
"""


def test_servers_and_commands_start_without_the_page_reading_libraries(tmp_path):
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "archive.settings"
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.splitlines()[-1])
    assert found == {"at_start": [], "after_a_page": ["htmldate", "trafilatura"], "text": "Words."}
