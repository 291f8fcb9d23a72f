"""One date-time format on every page: templates write times through |when (or |day), never their own |date."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from settings_app.models import SystemSettings
from settings_app.switches import update_switches

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_no_template_formats_a_time_its_own_way():
    own_formats = [
        f"{path.relative_to(TEMPLATES)}: {match}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.findall(r"\|date:['\"][^'\"]*['\"]", path.read_text())
        if match not in ("|date:'c'", '|date:"c"')  # machine-readable datetime="" attributes
    ]
    assert own_formats == []


@pytest.mark.django_db
def test_a_page_shows_the_time_in_the_one_format_and_the_active_zone(client, administrator, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    update_switches(actor=administrator, bot_enabled=True)
    SystemSettings.objects.update(updated_at=timezone.make_aware(datetime(2026, 11, 23, 20, 30), UTC))
    client.force_login(administrator)

    page = client.get(reverse("settings_app:page")).content.decode()

    assert "Last changed by Adi, 2026-11-24 03:30" in page  # 20:30 UTC is 03:30 the next day in Jakarta
