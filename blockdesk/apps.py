from django.apps import AppConfig


class BlockdeskConfig(AppConfig):
    name = "blockdesk"
    verbose_name = "BlockDesk"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .sessions import mark_refreshed

        user_logged_in.connect(mark_refreshed, dispatch_uid="blockdesk.sessions.mark_refreshed")
