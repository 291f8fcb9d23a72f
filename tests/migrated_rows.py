"""Put back the rows the data migrations made, for tests whose database is flushed.

Tests with live_server flush the database after each test. serialized_rollback
would restore these rows, but only on the connection that holds its copy, which
the Playwright and live-server threads do not share; recreating them is
simpler, and idempotent.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from accounts.roles import sync_groups
from settings_app.models import SystemSettings
from settings_app.switches import forget_switches


def restore_migrated_rows() -> None:
    """Recreate the staff groups with their permissions and the settings row, if a flush removed them."""
    ContentType.objects.clear_cache()  # it may still hold content types the flush deleted
    sync_groups(apps)
    SystemSettings.load()
    forget_switches()
