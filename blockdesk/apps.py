from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlockdeskConfig(AppConfig):
    name = "blockdesk"
    verbose_name = _("BlockDesk")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db import connection
        from django.db.backends.signals import connection_created

        from .sessions import mark_refreshed
        from .timestamps import read_timestamps_in_c

        if connection.vendor == "postgresql":
            from .statement_cache import keep_long_statements

            keep_long_statements()

        user_logged_in.connect(mark_refreshed, dispatch_uid="blockdesk.sessions.mark_refreshed")
        connection_created.connect(read_timestamps_in_c, dispatch_uid="blockdesk.timestamps")
