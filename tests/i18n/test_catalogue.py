"""The Indonesian catalogue: every entry translated, and the compiled file the app reads is the catalogue's own."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt (Debian's gettext)")


def test_every_entry_is_translated():
    run = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)], capture_output=True, text=True
    )

    assert run.returncode == 0, run.stderr
    assert "untranslated" not in run.stderr and "fuzzy" not in run.stderr, run.stderr


def test_the_compiled_catalogue_is_the_catalogue(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(CATALOGUE)], check=True)

    assert compiled.read_bytes() == CATALOGUE.with_suffix(".mo").read_bytes(), (
        "locale/id/LC_MESSAGES/django.mo is stale: run msgfmt -o django.mo django.po there"
    )
