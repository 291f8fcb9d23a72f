"""Put back the rows the data migrations made, for tests whose database is flushed.

Transactional tests flush the database after each test. The flush's
post_migrate signal makes the content types and permissions again, but not
what the data migrations made. serialized_rollback would restore those, but
only on the connection that holds its copy, which the Playwright and
live-server threads do not share; recreating them is simpler, and idempotent.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from accounts.roles import give_groups_their_permissions
from settings_app.models import SystemSettings
from settings_app.switches import forget_switches


def restore_migrated_rows() -> None:
    """Recreate the staff groups with their permissions and the settings row, if a flush removed them."""
    ContentType.objects.clear_cache()  # it may still hold the ids of content types made before the flush
    give_groups_their_permissions(apps)
    SystemSettings.load()
    forget_switches()
