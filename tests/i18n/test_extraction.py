"""Nothing marked for translation is missing from the Indonesian catalogue: makemessages, then msgfmt --statistics.

makemessages rewrites the catalogue it finds, so it runs on a copy of the
sources (the app packages, templates and locale); the copy's catalogues must
come out 100% translated, with nothing fuzzy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
# What makemessages reads: every package of the app, the templates and the catalogues.
SOURCES = ["accounts", "blockdesk", "channels", "contacts", "search", "settings_app", "spam", "tickets", "templates"]

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs xgettext and msgfmt (Debian's gettext)")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(BASE / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copytree(BASE / "locale", root / "locale")
    shutil.copy(BASE / "manage.py", root / "manage.py")
    env = {**os.environ, "DEBUG": "true", "PYTHONPATH": str(root)}
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "id", "-d", domain, "--no-location"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
    return root / "locale" / "id" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_marked_string_is_translated(extracted, domain):
    catalogue = extracted / f"{domain}.po"
    if domain == "djangojs" and not catalogue.exists():
        pytest.skip("no JavaScript strings are marked for translation")
    run = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)], capture_output=True, text=True
    )

    assert run.returncode == 0, run.stderr
    assert "untranslated" not in run.stderr and "fuzzy" not in run.stderr, (
        f"{run.stderr.strip()} in {domain}.po after makemessages: run `manage.py makemessages -l id` and translate"
    )
